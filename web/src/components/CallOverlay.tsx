import { createEffect, Match, Show, Switch } from "solid-js";
import type { LiveSession } from "../stores/live.ts";
import { track } from "../stores/reactive.ts";

/** Incoming ring, outgoing ring, the call itself (video tiles + controls), and how it ended. */
export function CallOverlay(props: { live: LiveSession }) {
  const calls = props.live.calls;
  const v = track(calls);
  const view = () => (v(), calls.view);
  let localVideo: HTMLVideoElement | undefined;
  let remoteVideo: HTMLVideoElement | undefined;

  createEffect(() => {
    const c = view();
    if (localVideo && localVideo.srcObject !== c.local) localVideo.srcObject = c.local;
    if (remoteVideo && remoteVideo.srcObject !== c.remote) remoteVideo.srcObject = c.remote;
  });

  return (
    <Show when={view().phase !== "idle"}>
      <div class="call" role="dialog" aria-label="Call" data-testid="call-overlay" data-phase={view().phase} data-ice={view().iceState}>
        <div class="call-head">
          <strong data-testid="call-peer">{view().peer}</strong>
          <span class="muted" data-testid="call-state">
            {label(view().phase, view().endedReason)}
          </span>
        </div>
        <Show when={view().phase === "connecting" || view().phase === "connected" || view().phase === "outgoing"}>
          <div class="call-media" classList={{ audio: view().media === "audio" }}>
            <video ref={remoteVideo} class="remote" autoplay playsinline data-testid="remote-video" />
            <video ref={localVideo} class="local" autoplay playsinline muted data-testid="local-video" />
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
                <button class="ghost" aria-pressed={view().cameraOff} data-testid="call-camera" onClick={() => calls.toggleCamera()}>
                  {view().cameraOff ? "Camera on" : "Camera off"}
                </button>
              </Show>
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
