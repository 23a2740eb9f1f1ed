/**
 * The resume cursor of a conversation socket URL (`after=&epoch=`). Nothing loaded yet: ask for the
 * newest page. Otherwise: "everything after the last seq I applied, in this epoch of the log". A
 * server whose log was reset (new epoch) or that cannot replay that far answers `recovered: false`.
 */
export interface ResumeSource {
  loaded: boolean;
  lastSeq: number;
  epoch: string | null;
}

export function resumeParams(t: ResumeSource): { after?: number; epoch?: string } {
  if (!t.loaded) return {};
  return t.epoch ? { after: t.lastSeq, epoch: t.epoch } : { after: t.lastSeq };
}
