// A batch of activity frames packed into one buffer (frame i is bytes[spans[2i], spans[2i+1])),
// read and classified against the partition's watermark: what the activity worker's reader
// thread does with each batch. Pure.
import { classifier } from './classify-activity';
import { uidTsOf } from './read-uid-ts';
import { type BatchGroup, joinUids } from './window-store';

export interface ReadBatchResult {
  /** Ready for applyBatch: each group's uids joined where they can be. */
  groups: BatchGroup[];
  /** The partition's watermark after the batch. */
  watermark: number;
  /** Indexes of the frames without a valid uid and ts. */
  poison: number[];
}

export function readBatch(bytes: Uint8Array, spans: Uint32Array, watermark: number, allowedLatenessSec: number): ReadBatchResult {
  const c = classifier(watermark, allowedLatenessSec);
  const poison: number[] = [];
  for (let i = 0; i < spans.length / 2; i++) {
    const start = spans[2 * i]!;
    const end = spans[2 * i + 1]!;
    const frame = end > start ? uidTsOf(bytes.subarray(start, end)) : null;
    if (frame) c.add(frame.uid, frame.ts);
    else poison.push(i);
  }
  const groups = c.groups().map((g) => ({ ...g, uids: joinUids(g.uids) }));
  return { groups, watermark: c.watermark, poison };
}

/**
 * Packs frames into one buffer for readBatch (a missing value is an empty frame), taken from
 * `alloc` (at least the size asked for). Kafka's values of one fetch lie in order in one
 * buffer, a few bytes of record header apart: they are copied as one span, not one by one.
 */
export function packFrames(
  values: (Uint8Array | null)[],
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): { bytes: Uint8Array; spans: Uint32Array } {
  const spans = new Uint32Array(values.length * 2);
  const present = values.filter((v): v is Uint8Array => v !== null);
  const first = present[0];
  const last = present[present.length - 1];
  if (first && last) {
    const from = first.byteOffset;
    const to = last.byteOffset + last.length;
    let inOrder = true;
    let at = from;
    for (const v of present) {
      if (v.buffer !== first.buffer || v.byteOffset < at) inOrder = false;
      at = v.byteOffset + v.length;
    }
    // one span when it wastes little (headers between values); else value by value
    if (inOrder && to - from <= 2 * present.reduce((n, v) => n + v.length, 0)) {
      const bytes = alloc(to - from);
      bytes.set(new Uint8Array(first.buffer, from, to - from));
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!v) continue;
        spans[2 * i] = v.byteOffset - from;
        spans[2 * i + 1] = v.byteOffset - from + v.length;
      }
      return { bytes, spans };
    }
  }
  let total = 0;
  for (const v of present) total += v.length;
  const bytes = alloc(total);
  let at = 0;
  values.forEach((v, i) => {
    if (!v) return;
    bytes.set(v, at);
    spans[2 * i] = at;
    spans[2 * i + 1] = at += v.length;
  });
  return { bytes, spans };
}
