/**
 * Process-wide socket counters that an operator graphs (the Bun host exports them as metrics).
 * Module state on purpose: every actor in the process adds to the same numbers, and a Durable Object
 * isolate simply keeps its own.
 */
export const socketStats = {
  /** Sockets closed with 4008 because their unsent backlog passed maxSocketBufferBytes. */
  slowConsumerDrops: 0,
};
