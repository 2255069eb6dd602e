// A batch read and, when none of its frames is poison, applied to Redis at once: what the
// activity worker's reader thread does with a batch, so the worker's event loop is left
// with fetching and committing. A batch with poison comes back unapplied, with its groups:
// its poison goes to the dead-letter topic before the batch is applied.
import type { NativeScan } from './native-uid-ts';
import { type FrameSource, readBatch } from './read-batch';
import type { SentUids } from './sent-uids';
import type { ApplyResult, BatchGroup, PartitionState, WindowStore } from './window-store';

export interface ApplyTarget {
  partition: number;
  /** The epoch and partition state the batch is read against and applied on. */
  epoch: string;
  from: PartitionState;
  /** Offset of the batch's last message. */
  offset: number;
  /** The partition's first batch, from after the first offset it ever held (see window-store.ts). */
  truncated?: boolean;
}

export type { ApplyResult };

export type ReadOutcome = {
  /** The partition's watermark after the batch. */
  watermark: number;
  /** Indexes of the frames without a valid uid and ts. */
  poison: number[];
} & ({ applied: ApplyResult; groups?: undefined } | { applied?: undefined; groups: BatchGroup[] });

export interface ApplyContext {
  store: WindowStore;
  allowedLatenessSec: number;
  futureToleranceSec: number;
  native: NativeScan | null;
  /** What this thread sent the windows before, so as not to send it again. */
  sent?: SentUids;
}

export async function readAndApply(
  ctx: ApplyContext,
  frames: FrameSource,
  spans: Uint32Array,
  recordTs: Float64Array | null,
  target: ApplyTarget,
): Promise<ReadOutcome> {
  const { allowedLatenessSec, futureToleranceSec } = ctx;
  const read = readBatch(frames, spans, { watermark: target.from.watermark, allowedLatenessSec, futureToleranceSec, recordTs }, ctx.native);
  if (read.poison.length > 0) return read;
  const { sent } = ctx;
  const groups = sent ? sent.lacking(target.epoch, read.groups) : read.groups;
  const applied = await ctx.store.apply(allowedLatenessSec, { ...target, watermark: read.watermark, groups });
  if (applied.ok) sent?.applied(target.epoch, read.watermark, groups);
  return { watermark: read.watermark, poison: read.poison, applied };
}
