import { createEffect, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";
import { Avatar } from "./Avatar.tsx";

/** Incoming ring, outgoing ring, the call itself (video tiles, timer, devices, screen sharing,
 *  full window) and how it ended. */
export function CallOverlay(props: { live: LiveSession }) {
  const calls = props.live.calls;
  const v = track(calls);
  const view = () => (v(), calls.view);
  const [full, setFull] = createSignal(false);
  const [showDevices, setShowDevices] = createSignal(false);
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(tick));
  const live = () => view().phase === "connecting" || view().phase === "connected" || view().phase === "outgoing";
  /** The other side's picture is their avatar when there is no video to show. */
  const remoteAvatar = () => view().media === "audio" || view().remoteCameraOff;
  let localVideo: HTMLVideoElement | undefined;
  let remoteVideo: HTMLVideoElement | undefined;

  createEffect(() => {
    const c = view();
    if (localVideo && localVideo.srcObject !== c.local) localVideo.srcObject = c.local;
    if (remoteVideo && remoteVideo.srcObject !== c.remote) remoteVideo.srcObject = c.remote;
  });

  return (
    <Show when={view().phase !== "idle"}>
      <div
        class="call"
        classList={{ full: full() && live() }}
        role="dialog"
        aria-label="Call"
        data-testid="call-overlay"
        data-phase={view().phase}
        data-ice={view().iceState}
        data-full={full() && live() ? "true" : "false"}
      >
        <div class="call-head">
          <strong data-testid="call-peer">{view().peer}</strong>
          <span class="muted" data-testid="call-state">
            {label(view().phase, view().endedReason)}
          </span>
          <Show when={view().phase === "connected" && view().connectedAt}>
            <span class="call-timer" data-testid="call-timer" role="timer">
              {duration(now() - view().connectedAt!)}
            </span>
          </Show>
          <Show when={live()}>
            <button class="ghost icon" data-testid="call-fullscreen" aria-pressed={full()} title={full() ? "Exit full window" : "Full window"} onClick={() => setFull(!full())}>
              {full() ? "⤡" : "⤢"}
            </button>
          </Show>
        </div>
        <Show when={live()}>
          <div class="call-media" classList={{ audio: view().media === "audio" && !full() }}>
            <video ref={remoteVideo} class="remote" classList={{ hidden: remoteAvatar() }} autoplay playsinline data-testid="remote-video" />
            <Show when={remoteAvatar()}>
              <div class="call-avatar" data-testid="call-remote-avatar">
                <Avatar name={view().peer ?? "?"} />
              </div>
            </Show>
            <video ref={localVideo} class="local" classList={{ hidden: view().media === "audio" || (view().cameraOff && !view().sharing) }} autoplay playsinline muted data-testid="local-video" />
          </div>
        </Show>
        <Show when={live() && showDevices()}>
          <div class="call-devices" data-testid="call-devices">
            <label>
              Microphone
              <select data-testid="call-mic" value={view().micId ?? ""} onChange={(e) => void calls.chooseDevice("audio", e.currentTarget.value)}>
                <For each={view().devices.mics}>{(d) => <option value={d.id}>{d.label}</option>}</For>
              </select>
            </label>
            <Show when={view().media === "video"}>
              <label>
                Camera
                <select data-testid="call-cam" value={view().cameraId ?? ""} disabled={view().sharing} onChange={(e) => void calls.chooseDevice("video", e.currentTarget.value)}>
                  <For each={view().devices.cameras}>{(d) => <option value={d.id}>{d.label}</option>}</For>
                </select>
              </label>
            </Show>
          </div>
        </Show>
        <div class="call-controls">
          <Switch>
            <Match when={view().phase === "incoming"}>
              <button class="accept" data-testid="call-accept" onClick={() => void calls.accept()}>
                Accept {view().media === "video" ? "video" : "audio"}
              </button>
              <button class="danger" data-testid="call-decline" onClick={() => calls.decline()}>
                Decline
              </button>
            </Match>
            <Match when={view().phase === "ended"}>
              <button class="ghost" data-testid="call-dismiss" onClick={() => calls.dismiss()}>
                Close
              </button>
            </Match>
            <Match when={true}>
              <button class="ghost" aria-pressed={view().muted} data-testid="call-mute" onClick={() => calls.toggleMute()}>
                {view().muted ? "Unmute" : "Mute"}
              </button>
              <Show when={view().media === "video"}>
                <button class="ghost" aria-pressed={view().cameraOff} data-testid="call-camera" disabled={view().sharing} onClick={() => calls.toggleCamera()}>
                  {view().cameraOff ? "Camera on" : "Camera off"}
                </button>
                <button class="ghost" aria-pressed={view().sharing} data-testid="call-screen" onClick={() => void (view().sharing ? calls.stopSharing() : calls.shareScreen())}>
                  {view().sharing ? "Stop sharing" : "Share screen"}
                </button>
              </Show>
              <button class="ghost" aria-pressed={showDevices()} aria-expanded={showDevices()} data-testid="call-settings" onClick={() => setShowDevices(!showDevices())}>
                Devices
              </button>
              <button class="danger" data-testid="call-hangup" onClick={() => calls.hangup()}>
                Hang up
              </button>
            </Match>
          </Switch>
        </div>
      </div>
    </Show>
  );
}

/** "0:07", "12:40", "1:02:03". */
function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = Math.floor((s % 3600) / 60), ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

function label(phase: string, reason: string | null): string {
  switch (phase) {
    case "incoming":
      return "is calling you…";
    case "outgoing":
      return "Ringing…";
    case "connecting":
      return "Connecting…";
    case "connected":
      return "Connected";
    case "ended":
      return reason ?? "Call ended";
    default:
      return "";
  }
}
