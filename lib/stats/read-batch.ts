// A batch of activity frames (frame i is bytes[spans[2i], spans[2i+1])), read and classified
// against the partition's watermark: what the activity worker's reader thread does with each
// batch. Pure, given the native scan or none.
import { classifier } from './classify-activity';
import { type NativeScan, SLOTS_PER_FRAME, STATUS } from './native-uid-ts';
import { type UidTs, uidTsAt, uidTsOf } from './read-uid-ts';
import type { BatchGroup } from './window-store';

export interface ReadBatchResult {
  /** Ready for applyBatch. */
  groups: BatchGroup[];
  /** The partition's watermark after the batch. */
  watermark: number;
  /** Indexes of the frames without a valid uid and ts. */
  poison: number[];
}

/**
 * Where a batch's frames are: bytes of this thread, or (native scan only) bytes the main
 * thread holds, by address, alive and unchanged until the batch is read.
 */
export type FrameSource = { bytes: Uint8Array } | { address: bigint; length: number };

/** The scan's verdicts and the values it copies out, kept between batches. */
let verdicts = new Int32Array(0);
let copied = new Uint8Array(1 << 20);

/**
 * Reads each frame's uid and ts: with the native scan when there is one (its grammar check
 * for the whole batch in one call, then only the two values decoded here), else readUidTs.
 */
export interface ReadOptions {
  /** The partition's watermark before the batch. */
  watermark: number;
  allowedLatenessSec: number;
  /** How far past its Kafka record's timestamp a frame may be dated and still move the watermark. */
  futureToleranceSec: number;
  /** Each frame's Kafka record timestamp, ms (none: frames move the watermark by their own time). */
  recordTs?: Float64Array | null;
}

export function readBatch(source: FrameSource, spans: Uint32Array, options: ReadOptions, native: NativeScan | null = null): ReadBatchResult {
  const frames = spans.length / 2;
  let read: (i: number) => UidTs | null;
  if (!native) {
    if (!('bytes' in source)) throw new Error('frames held by address need the native scan');
    const { bytes } = source;
    read = (i) => (spans[2 * i + 1]! > spans[2 * i]! ? uidTsOf(bytes.subarray(spans[2 * i]!, spans[2 * i + 1]!)) : null);
  } else {
    if (verdicts.length < SLOTS_PER_FRAME * frames) verdicts = new Int32Array(SLOTS_PER_FRAME * frames * 2);
    let bytes: Uint8Array;
    if ('bytes' in source) {
      native.scan(source.bytes, spans, verdicts);
      bytes = source.bytes;
    } else {
      // the scan copies out only what is decoded here: uid and ts values, unsure frames whole
      while (native.scanAt(source.address, source.length, spans, verdicts, copied) < 0) copied = new Uint8Array(copied.length * 2);
      bytes = copied;
    }
    const v = verdicts;
    read = (i) => {
      const at = SLOTS_PER_FRAME * i;
      const status = v[at];
      if (status === STATUS.OK) return uidTsAt(bytes, v[at + 1]!, v[at + 2]!, v[at + 3]!, v[at + 4]!);
      if (status !== STATUS.UNSURE) return null;
      // scan gives unsure frames by their spans; scanAt, copied whole into `copied`
      return 'bytes' in source ? uidTsOf(bytes.subarray(spans[2 * i]!, spans[2 * i + 1]!)) : uidTsOf(bytes.subarray(v[at + 1]!, v[at + 2]!));
    };
  }
  const c = classifier(options.watermark, options.allowedLatenessSec, options.futureToleranceSec);
  const poison: number[] = [];
  const recordTs = options.recordTs;
  for (let i = 0; i < frames; i++) {
    const frame = read(i);
    if (frame) c.add(frame.uid, frame.ts, recordTs ? recordTs[i]! : NaN);
    else poison.push(i);
  }
  return { groups: c.groups(), watermark: c.watermark, poison };
}

/**
 * Where frames lie when they lie in order in one buffer, little apart (Kafka's values of one
 * fetch, a few bytes of record header between them): that region, and each frame's span in
 * it (a missing value is an empty frame). Null when they do not.
 */
export function frameRegion(values: readonly (Uint8Array | null)[]): { region: Uint8Array; spans: Uint32Array } | null {
  // one pass, no allocation but the spans: it runs on the worker's event loop for every batch
  const spans = new Uint32Array(values.length * 2);
  let buffer: ArrayBufferLike | null = null;
  let from = 0;
  let at = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!v) continue;
    const offset = v.byteOffset;
    if (buffer === null) {
      buffer = v.buffer;
      from = at = offset;
    } else if (offset < at || v.buffer !== buffer) return null;
    spans[2 * i] = offset - from;
    spans[2 * i + 1] = offset - from + v.length;
    at = offset + v.length;
    total += v.length;
  }
  if (buffer === null || at - from > 2 * total) return null; // none, or it would carry more than it reads
  return { region: new Uint8Array(buffer, from, at - from), spans };
}

/**
 * Packs frames into one buffer for readBatch (a missing value is an empty frame), taken from
 * `alloc` (at least the size asked for): their region in one copy where they have one (see
 * frameRegion), else value by value.
 */
export function packFrames(
  values: (Uint8Array | null)[],
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): { bytes: Uint8Array; spans: Uint32Array } {
  const inOne = frameRegion(values);
  if (inOne) {
    const bytes = alloc(inOne.region.length);
    bytes.set(inOne.region);
    return { bytes, spans: inOne.spans };
  }
  const spans = new Uint32Array(values.length * 2);
  let total = 0;
  for (const v of values) total += v?.length ?? 0;
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
