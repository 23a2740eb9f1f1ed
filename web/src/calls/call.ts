import type { ServerFrameOf } from "../../../protocol/index.ts";
import type { Api } from "../api/client.ts";
import type { ConversationConnection } from "../net/conversation.ts";
import type { ConnectionRegistry } from "../net/registry.ts";
import { newClientId } from "../state/ids.ts";
import { deviceTrack, type DeviceChoice, listDevices, replaceLocalTrack, screenTrack } from "./mediaSwitch.ts";

/**
 * One 1:1 call at a time. Signalling rides the conversation socket as `call` frames (ring → accept
 * → offer/answer/ice → hangup); rings also arrive on the inbox socket so a person sees them from any
 * screen. The caller makes the offer only after the callee accepted, so nobody's camera turns on
 * before they agree to talk.
 */
export type CallPhase = "idle" | "outgoing" | "incoming" | "connecting" | "connected" | "ended";
type CallFrame = ServerFrameOf<"call">;

export interface CallView {
  phase: CallPhase;
  callId: string | null;
  conversationId: string | null;
  peer: string | null;
  media: "audio" | "video";
  muted: boolean;
  cameraOff: boolean;
  /** RTCPeerConnection.connectionState, for people and tests alike. */
  iceState: string;
  endedReason: string | null;
  local: MediaStream | null;
  remote: MediaStream | null;
  /** When the call connected (Date.now()), for the call timer. */
  connectedAt: number | null;
  /** The other side turned their camera off (a `state` signal): show their avatar. */
  remoteCameraOff: boolean;
  /** The screen is being sent instead of the camera. */
  sharing: boolean;
  devices: DeviceChoice;
  micId: string | null;
  cameraId: string | null;
}

const RING_TIMEOUT_MS = 45_000;

const idle = (): CallView => ({
  phase: "idle",
  callId: null,
  conversationId: null,
  peer: null,
  media: "video",
  muted: false,
  cameraOff: false,
  iceState: "new",
  endedReason: null,
  local: null,
  remote: null,
  connectedAt: null,
  remoteCameraOff: false,
  sharing: false,
  devices: { mics: [], cameras: [] },
  micId: null,
  cameraId: null,
});

export class CallController {
  view: CallView = idle();
  private pc: RTCPeerConnection | null = null;
  private conn: ConversationConnection | null = null;
  private offCall: (() => void) | null = null;
  private pendingIce: RTCIceCandidateInit[] = [];
  private ringTimer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<() => void>();

  constructor(
    private readonly api: Api,
    private readonly registry: ConnectionRegistry,
    private readonly me: string,
    private readonly nameOf: (userId: string) => string,
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(conversationId: string, peerName: string, media: "audio" | "video"): Promise<void> {
    if (this.view.phase !== "idle" && this.view.phase !== "ended") return;
    const callId = newClientId("call");
    this.set({ ...idle(), phase: "outgoing", callId, conversationId, peer: peerName, media });
    this.attach(conversationId);
    try {
      const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: media === "video" });
      this.gotMedia(local);
      await whenOpen(this.conn!);
      this.conn!.call({ callId, action: "ring", media });
      this.ringTimer = setTimeout(() => this.hangup("No answer"), RING_TIMEOUT_MS);
    } catch (e) {
      this.finish(`Could not start the call: ${(e as Error).message}`);
    }
  }

  /** A frame from either socket. Rings are deduplicated by callId (both sockets may carry them). */
  onSignal(f: CallFrame): void {
    const v = this.view;
    // My own accept, pushed to my inbox: I answered this call on another device; stop ringing here.
    if (f.from === this.me && f.action === "accept" && v.phase === "incoming" && f.callId === v.callId) return this.finish("Answered on another device");
    if (f.from === this.me) return;
    if (f.action === "ring") {
      if (v.callId === f.callId) return;
      if (v.phase !== "idle" && v.phase !== "ended") {
        // Busy: one call at a time. Say so without touching the current call.
        this.registry.peek(f.conversationId)?.call({ callId: f.callId, action: "decline" });
        return;
      }
      this.set({ ...idle(), phase: "incoming", callId: f.callId, conversationId: f.conversationId, peer: this.nameOf(f.from), media: f.media ?? "video" });
      this.attach(f.conversationId);
      this.ringTimer = setTimeout(() => this.finish("Missed call"), RING_TIMEOUT_MS);
      return;
    }
    if (f.callId !== v.callId) return;
    switch (f.action) {
      case "accept":
        if (v.phase === "outgoing") void this.makeOffer();
        break;
      case "offer":
        if (f.sdp) void this.takeOffer(f.sdp);
        break;
      case "answer":
        if (f.sdp && this.pc) void this.pc.setRemoteDescription({ type: "answer", sdp: f.sdp }).then(() => this.drainIce());
        break;
      case "ice":
        if (f.candidate) this.addIce(f.candidate);
        break;
      case "state":
        this.set({ remoteCameraOff: f.camera === false });
        break;
      case "decline":
        this.finish("Declined");
        break;
      case "hangup":
        // Outgoing and never answered: the server gave up (nobody reachable) or the callee left.
        this.finish(v.phase === "incoming" ? "Missed call" : v.phase === "outgoing" ? "No answer" : "Call ended");
        break;
    }
  }

  async accept(): Promise<void> {
    const v = this.view;
    if (v.phase !== "incoming" || !this.conn) return;
    this.clearRing();
    this.set({ phase: "connecting" });
    try {
      const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: v.media === "video" });
      this.gotMedia(local);
      await this.createPeer();
      await whenOpen(this.conn);
      this.conn.call({ callId: v.callId!, action: "accept", media: v.media });
    } catch (e) {
      this.hangup(`Could not answer: ${(e as Error).message}`);
    }
  }

  decline(): void {
    if (this.view.phase !== "incoming") return;
    this.conn?.call({ callId: this.view.callId!, action: "decline" });
    this.finish("Declined");
  }

  hangup(reason = "Call ended"): void {
    if (this.view.callId && this.view.phase !== "ended" && this.view.phase !== "idle") {
      this.conn?.call({ callId: this.view.callId, action: "hangup" });
    }
    this.finish(reason);
  }

  toggleMute(): void {
    const muted = !this.view.muted;
    this.view.local?.getAudioTracks().forEach((t) => (t.enabled = !muted));
    this.set({ muted });
  }

  toggleCamera(): void {
    const cameraOff = !this.view.cameraOff;
    this.view.local?.getVideoTracks().forEach((t) => (t.enabled = !cameraOff));
    this.set({ cameraOff });
    // A disabled track still sends (black) frames: say so, and the other side shows my avatar.
    if (this.view.callId) this.conn?.call({ callId: this.view.callId, action: "state", camera: !cameraOff });
  }

  /** Another microphone or camera, mid-call or before it connects. */
  async chooseDevice(kind: "audio" | "video", deviceId: string): Promise<void> {
    const local = this.view.local;
    if (!local || (kind === "video" && (this.view.media !== "video" || this.view.sharing))) return;
    const track = await deviceTrack(kind, deviceId);
    if (this.view.local !== local) return track.stop(); // the call ended or changed meanwhile
    this.set({ local: await replaceLocalTrack(this.pc, local, track), ...(kind === "audio" ? { micId: deviceId } : { cameraId: deviceId }) });
  }

  /** Send the screen instead of the camera (video calls); the browser's "Stop sharing" comes back too. */
  async shareScreen(): Promise<void> {
    const local = this.view.local;
    if (!local || this.view.media !== "video" || this.view.sharing) return;
    let track: MediaStreamTrack;
    try {
      track = await screenTrack();
    } catch {
      return; // the person cancelled the picker
    }
    if (this.view.local !== local) return track.stop();
    track.addEventListener("ended", () => void this.stopSharing());
    this.set({ local: await replaceLocalTrack(this.pc, local, track, false), sharing: true });
    if (this.view.cameraOff) this.conn?.call({ callId: this.view.callId!, action: "state", camera: true });
  }

  /** Back to the camera after sharing the screen. */
  async stopSharing(): Promise<void> {
    const local = this.view.local;
    if (!local || !this.view.sharing) return;
    const camera = await deviceTrack("video", this.view.cameraId);
    if (this.view.local !== local) return camera.stop();
    camera.enabled = !this.view.cameraOff;
    this.set({ local: await replaceLocalTrack(this.pc, local, camera, false), sharing: false });
    if (this.view.cameraOff) this.conn?.call({ callId: this.view.callId!, action: "state", camera: false });
  }

  private gotMedia(local: MediaStream): void {
    const id = (kind: "audio" | "video") => local.getTracks().find((t) => t.kind === kind)?.getSettings().deviceId ?? null;
    this.set({ local, micId: id("audio"), cameraId: id("video") });
    // Labels are only known once the page was allowed to use media: list the devices now.
    void listDevices().then((devices) => this.view.local === local && this.set({ devices }), () => {});
  }

  dismiss(): void {
    if (this.view.phase === "ended") this.set(idle());
  }

  private attach(conversationId: string): void {
    this.conn = this.registry.acquire(conversationId);
    this.offCall = this.conn.onCall((f) => this.onSignal(f));
  }

  private async createPeer(): Promise<RTCPeerConnection> {
    let config: RTCConfiguration = {};
    try {
      const ice = await this.api.ice();
      config = { iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy ?? "all" };
    } catch {
      // Without TURN, direct and STUN-less host candidates still work on the same network.
    }
    const pc = new RTCPeerConnection(config);
    this.pc = pc;
    const remote = new MediaStream();
    this.set({ remote });
    for (const t of this.view.local?.getTracks() ?? []) pc.addTrack(t, this.view.local!);
    pc.ontrack = (ev) => {
      remote.addTrack(ev.track);
      this.set({ remote });
    };
    pc.onicecandidate = (ev) => {
      if (ev.candidate && this.view.callId) this.conn?.call({ callId: this.view.callId, action: "ice", candidate: ev.candidate.toJSON() as any });
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      const connected = s === "connected";
      this.set({ iceState: s, phase: connected ? "connected" : this.view.phase, connectedAt: connected ? (this.view.connectedAt ?? Date.now()) : this.view.connectedAt });
      if (s === "failed") this.hangup("Connection failed");
    };
    return pc;
  }

  private async makeOffer(): Promise<void> {
    this.clearRing();
    this.set({ phase: "connecting" });
    const pc = await this.createPeer();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.conn?.call({ callId: this.view.callId!, action: "offer", sdp: offer.sdp! });
  }

  private async takeOffer(sdp: string): Promise<void> {
    const pc = this.pc ?? (await this.createPeer());
    await pc.setRemoteDescription({ type: "offer", sdp });
    await this.drainIce();
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.conn?.call({ callId: this.view.callId!, action: "answer", sdp: answer.sdp! });
  }

  /** Candidates can outrun the offer/answer; hold them until a remote description exists. */
  private addIce(c: RTCIceCandidateInit): void {
    if (this.pc?.remoteDescription) void this.pc.addIceCandidate(c).catch(() => {});
    else this.pendingIce.push(c);
  }

  private async drainIce(): Promise<void> {
    const list = this.pendingIce;
    this.pendingIce = [];
    for (const c of list) await this.pc?.addIceCandidate(c).catch(() => {});
  }

  private clearRing(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = null;
  }

  private finish(reason: string): void {
    this.clearRing();
    this.view.local?.getTracks().forEach((t) => t.stop());
    this.pc?.close();
    this.pc = null;
    this.pendingIce = [];
    this.offCall?.();
    this.offCall = null;
    if (this.conn) this.registry.release(this.conn.id);
    this.conn = null;
    this.set({ phase: "ended", endedReason: reason, local: null, remote: null, iceState: "closed" });
  }

  private set(patch: Partial<CallView>): void {
    this.view = { ...this.view, ...patch };
    for (const fn of this.listeners) fn();
  }
}

function whenOpen(conn: ConversationConnection, timeoutMs = 15_000): Promise<void> {
  if (conn.open) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error("not connected"))), timeoutMs);
    const off = conn.subscribe(() => {
      if (conn.open) (clearTimeout(timer), off(), resolve());
    });
  });
}
