/**
 * The layers, lowest first: protocol/ ← actors/ ← edge/ ← hosts/<runtime>/ ← scripts/, bench/,
 * infra/, tests/. `npm test` runs this (tests/layout/layers.test.ts) and fails on any violation.
 * The core (protocol, actors, edge) is runtime-free: tsconfig.core.json checks its types, these
 * rules its imports.
 */
const CORE = "^(protocol|actors|edge)/";
const RUNTIME_MODULES = [
  "^bun$", "^bun:", "^cloudflare:", "^node:", "^@nats-io/", "^ioredis", "^libsql", "^@libsql/",
  "^prom-client", "^@cloudflare/", "^fs$", "^path$", "^os$", "^crypto$", "^child_process$", "^worker_threads$",
];
const ABOVE_HOSTS = "^(scripts|bench|infra|tests|web)/";

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", comment: "Import cycles make layers meaningless.", from: {}, to: { circular: true } },
    {
      name: "core-is-runtime-free", severity: "error",
      comment: "protocol/, actors/ and edge/ run on every host: no runtime module (Bun, Workers, Node, NATS, Redis, libSQL).",
      from: { path: CORE },
      to: { dependencyTypes: ["core", "npm", "npm-dev", "npm-optional", "unknown", "undetermined"], path: RUNTIME_MODULES },
    },
    { name: "core-imports-no-host", severity: "error", from: { path: CORE }, to: { path: "^hosts/" } },
    { name: "protocol-is-the-bottom", severity: "error", from: { path: "^protocol/" }, to: { path: "^(actors|edge|hosts)/" } },
    { name: "actors-below-edge", severity: "error", from: { path: "^actors/" }, to: { path: "^edge/" } },
    { name: "runtime-code-imports-nothing-above", severity: "error", from: { path: "^(protocol|actors|edge|hosts)/" }, to: { path: ABOVE_HOSTS } },
    {
      name: "one-folder-per-runtime", severity: "error",
      comment: "A host folder stands alone; cluster mode builds on the Bun host; shared/ serves all and imports none.",
      from: { path: "^hosts/(bun|cloudflare|shared)/" },
      to: { path: "^hosts/", pathNot: ["^hosts/$1/", "^hosts/shared/"] },
    },
    { name: "cluster-builds-on-bun-only", severity: "error", from: { path: "^hosts/cluster/" }, to: { path: "^hosts/cloudflare/" } },
    { name: "web-speaks-protocol-only", severity: "error", from: { path: "^web/" }, to: { path: "^(actors|edge|hosts)/" } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // .tsx (web components) is left out: the swc wrapper parses TypeScript without JSX. The web rule
    // still covers web/src/**/*.ts; tests/layout/layers.test.ts checks the .tsx imports by text.
    exclude: { path: ["(^|/)(node_modules|dist)/", "\\.tsx$"] },
    // TypeScript 7 has no JS API for the checker to parse with; swc parses the .ts and .tsx files.
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    moduleSystems: ["es6", "cjs"],
  },
};
