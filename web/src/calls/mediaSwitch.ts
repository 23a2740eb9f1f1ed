/**
 * Changing what a call sends while it runs: another microphone or camera, the screen, and back to
 * the camera. The peer connection keeps its senders and `replaceTrack` swaps the track in place, so
 * nothing is renegotiated and the other side sees the change within a frame.
 */

export interface DeviceChoice {
  mics: Array<{ id: string; label: string }>;
  cameras: Array<{ id: string; label: string }>;
}

/** The microphones and cameras this browser offers (labels are known once a call has asked for media). */
export async function listDevices(): Promise<DeviceChoice> {
  const all = await navigator.mediaDevices.enumerateDevices();
  const of = (kind: MediaDeviceKind) =>
    all.filter((d) => d.kind === kind && d.deviceId).map((d, i) => ({ id: d.deviceId, label: d.label || `${kind === "audioinput" ? "Microphone" : "Camera"} ${i + 1}` }));
  return { mics: of("audioinput"), cameras: of("videoinput") };
}

/** A new track from one device: `getUserMedia` for that device only. */
export async function deviceTrack(kind: "audio" | "video", deviceId: string | null): Promise<MediaStreamTrack> {
  const constraint = deviceId ? { deviceId: { exact: deviceId } } : true;
  const stream = await navigator.mediaDevices.getUserMedia(kind === "audio" ? { audio: constraint } : { video: constraint });
  return stream.getTracks()[0]!;
}

/** The screen (or a window or tab) the person picks; rejects if they cancel. At most 15 frames a
 *  second: text and slides need sharpness, not motion, and encoding a screen is costly. */
export async function screenTrack(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 15 } }, audio: false });
  return stream.getVideoTracks()[0]!;
}

/**
 * Sends `next` instead of the local track of its kind: on the peer connection (if any) and in a new
 * local stream (a new object, so the preview's `srcObject` changes). The old track is stopped, so a
 * camera switched away from turns its light off. `keepEnabled` carries mute / camera-off over.
 */
export async function replaceLocalTrack(pc: RTCPeerConnection | null, local: MediaStream, next: MediaStreamTrack, keepEnabled = true): Promise<MediaStream> {
  const old = local.getTracks().find((t) => t.kind === next.kind);
  if (old && keepEnabled) next.enabled = old.enabled;
  const sender = pc?.getSenders().find((s) => s.track === old) ?? pc?.getSenders().find((s) => s.track?.kind === next.kind);
  await sender?.replaceTrack(next);
  old?.stop();
  return new MediaStream([...local.getTracks().filter((t) => t !== old), next]);
}
