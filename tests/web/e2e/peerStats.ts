/**
 * What a page's WebRTC calls really do, read from the RTCPeerConnections the app makes: an init
 * script keeps each one (and the configuration it was made with) on `window.__pcs`.
 */
import type { Page } from "playwright-core";

/** Add with `page.addInitScript(RECORD_PEERS)` before the app loads. */
export const RECORD_PEERS = () => {
  const Native = window.RTCPeerConnection;
  const pcs: RTCPeerConnection[] = ((window as any).__pcs = []);
  (window as any).RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
      (this as any).__config = config;
    }
  };
};

/** The newest peer connection's configuration, state and the candidate types of its selected pair. */
export async function selectedPair(page: Page) {
  return page.evaluate(async () => {
    const pcs = (window as any).__pcs as RTCPeerConnection[];
    const pc = pcs[pcs.length - 1]!;
    const stats = await pc.getStats();
    let pairId: string | undefined;
    stats.forEach((s: any) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId ? stats.get(pairId) : undefined;
    const cfg = (pc as any).__config as RTCConfiguration;
    return {
      policy: cfg.iceTransportPolicy,
      turnUsername: (cfg.iceServers ?? []).find((s) => String(s.urls).includes("turn:"))?.username ?? null,
      state: pc.connectionState,
      local: pair ? stats.get(pair.localCandidateId)?.candidateType : null,
      remote: pair ? stats.get(pair.remoteCandidateId)?.candidateType : null,
    };
  });
}

/** What the newest peer connection sends: per kind, the track's label and device id. */
export async function sentTracks(page: Page): Promise<Record<string, { label: string; deviceId: string | undefined } | null>> {
  return page.evaluate(() => {
    const pcs = (window as any).__pcs as RTCPeerConnection[];
    const out: Record<string, { label: string; deviceId: string | undefined } | null> = {};
    for (const s of pcs[pcs.length - 1]!.getSenders()) {
      const kind = s.track?.kind ?? "none";
      out[kind] = s.track ? { label: s.track.label, deviceId: s.track.getSettings().deviceId } : null;
    }
    return out;
  });
}
