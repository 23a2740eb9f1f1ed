export declare const REGION_TEMPLATE: string;
export declare function renderTemplate(template: string, values: Record<string, string | number | boolean | null | undefined>): string;
export interface RegionConfigOptions {
  region: string;
  serverName?: string;
  host?: string;
  /** Numbers, or tokens such as "{port}" that a later step substitutes (tests/support/servers.ts). */
  port: number | string;
  monitorPort: number | string;
  storeDir: string;
  clusterPort?: number | string;
  /** Cluster URLs of the region's servers, this one included (nats-server 2.9 wants its own). */
  routes?: string[];
  /** Region name → its gateway URL(s), every region included. */
  gateways?: Record<string, string | string[]>;
  /** host:port other regions dial for this gateway (a delaying proxy, a NAT address). */
  gatewayAdvertise?: string;
  /** Appended verbatim: authorization/accounts, tls. */
  extra?: string;
  template?: string;
}
export declare function renderRegionConfig(o: RegionConfigOptions): string;
