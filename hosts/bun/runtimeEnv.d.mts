export declare const bunRuntimeEnv: Readonly<Record<string, string>>;
export declare function withBunRuntimeEnv<T extends Record<string, string | undefined>>(env: T): T & Record<string, string>;
