/**
 * nats-server's environment when it shares one machine with everything else (`npm run cluster`,
 * the cluster tests and the bench; tests/support/servers.ts and infra/cluster/run.mjs).
 *
 * GOMAXPROCS=1: Go spreads a connection's read loop, its flusher and the poller over one OS thread
 * per core, and every small message then wakes a sleeping thread (a futex and a context switch,
 * which cost more than the message on these VMs). On the 2-core bench box, the cluster fan-out
 * (1,000 msgs/s, ~730 bus messages a second) measured nats-server at 9.6 / 8.8 µs of CPU per
 * delivery with Go's default and 7.0 / 6.5 with GOMAXPROCS=1 (alternating runs, bench/README.md
 * #15). One core carries far more than a region's bus needs here (~800k msgs/s, ../shared notes).
 * A production nats-server on a machine of its own keeps Go's default.
 */
export const NATS_ON_ONE_BOX_ENV = { GOMAXPROCS: "1" };
