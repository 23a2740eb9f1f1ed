/** The part of s3rver (no types of its own) that tests/support/s3Server.ts uses. */
declare module "s3rver" {
  export default class S3rver {
    constructor(opts: { port?: number; address?: string; directory: string; silent?: boolean; configureBuckets?: { name: string }[] });
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
