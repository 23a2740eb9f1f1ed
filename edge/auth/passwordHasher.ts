/**
 * How the account service hashes passwords. The core names the contract only: the hash itself
 * (scrypt from node:crypto, which Bun and workerd with nodejs_compat both provide) is a host's
 * choice, in hosts/shared/scryptPasswords.ts, so the core imports no runtime module.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
}
