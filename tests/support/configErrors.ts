/** Configuration tests (app, Bun host, cluster) check the same promise: a bad value is refused
 *  with a ConfigError that names its variable. */
import { expect } from "bun:test";
import { ConfigError } from "../../edge/config.ts";

export type Env = Record<string, string | undefined>;

/** For each [env, variable]: `load(env)` throws a ConfigError whose message names `variable`. */
export function expectErrorsNameTheVariable(load: (env: Env) => unknown, cases: [Env, string][]): void {
  for (const [env, name] of cases) {
    let err: unknown;
    try {
      load(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(name);
  }
}
