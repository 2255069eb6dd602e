// A batch of activity frames packed into one buffer (frame i is bytes[ends[i-1], ends[i])),
// read and classified against the partition's watermark: what the activity worker's reader
// thread does with each batch. Pure.
import { type ActivityGroup, classifier } from './classify-activity';
import { uidTsOf } from './read-uid-ts';

export interface ReadBatchResult {
  groups: ActivityGroup[];
  /** The partition's watermark after the batch. */
  watermark: number;
  /** Indexes of the frames without a valid uid and ts. */
  poison: number[];
}

export function readBatch(bytes: Uint8Array, ends: Uint32Array, watermark: number, allowedLatenessSec: number): ReadBatchResult {
  const c = classifier(watermark, allowedLatenessSec);
  const poison: number[] = [];
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const frame = end > start ? uidTsOf(bytes.subarray(start, end)) : null;
    if (frame) c.add(frame.uid, frame.ts);
    else poison.push(i);
    start = end;
  }
  return { groups: c.groups(), watermark: c.watermark, poison };
}

/** Packs frames into one buffer for readBatch (a missing value is an empty frame). */
export function packFrames(values: (Uint8Array | null)[]): { bytes: Uint8Array; ends: Uint32Array } {
  let total = 0;
  for (const v of values) total += v?.length ?? 0;
  const bytes = new Uint8Array(total);
  const ends = new Uint32Array(values.length);
  let at = 0;
  values.forEach((v, i) => {
    if (v) {
      bytes.set(v, at);
      at += v.length;
    }
    ends[i] = at;
  });
  return { bytes, ends };
}
