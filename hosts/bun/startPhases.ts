/**
 * Where a node's start goes, logged once it listens (docs/cluster.md "What a node's restart costs"):
 * a restarted node serves nothing until then, so an operator waiting on a failover sees which part
 * held it (loading the code, the database, the bus, the accounts). Times are from the process's
 * start (performance.now() counts from it in Bun), so the first phase includes loading the modules.
 */
const phases: Array<[name: string, endedAt: number]> = [];

/** The phase `name` ended now. */
export function phaseDone(name: string): void {
  phases.push([name, performance.now()]);
}

/** "ready 1234 ms after the process started: modules 800, storage 120, …" (each phase's own ms). */
export function startSummary(): string {
  let prev = 0;
  const parts = phases.map(([name, at]) => {
    const ms = Math.round(at - prev);
    prev = at;
    return `${name} ${ms}`;
  });
  return `ready ${Math.round(performance.now())} ms after the process started (ms per phase: ${parts.join(", ")})`;
}
