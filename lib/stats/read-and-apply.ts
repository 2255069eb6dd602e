// A batch read and, when none of its frames is poison, applied to Redis at once: what the
// activity worker's reader thread does with a batch, so the worker's event loop is left
// with fetching and committing. A batch with poison comes back unapplied, with its groups:
// its poison goes to the dead-letter topic before the batch is applied.
import type { Redis } from 'ioredis';
import type { NativeScan } from './native-uid-ts';
import { type FrameSource, readBatch } from './read-batch';
import type { SentUids } from './sent-uids';
import { type BatchGroup, type PartitionState, applyBatch } from './window-store';

export interface ApplyTarget {
  partition: number;
  /** The partition's state the batch is read against and applied on. */
  from: PartitionState;
  /** Offset of the batch's last message. */
  offset: number;
}

export type ApplyResult = Awaited<ReturnType<typeof applyBatch>>;

export type ReadOutcome = {
  /** The partition's watermark after the batch. */
  watermark: number;
  /** Indexes of the frames without a valid uid and ts. */
  poison: number[];
} & ({ applied: ApplyResult; groups?: undefined } | { applied?: undefined; groups: BatchGroup[] });

export interface ApplyContext {
  redis: Redis;
  /** The stats keys' prefix (statsPrefix of the topic). */
  prefix: string;
  allowedLatenessSec: number;
  native: NativeScan | null;
  /** What this thread sent each partition's windows before, so as not to send it again. */
  sent?: SentUids;
}

export async function readAndApply(ctx: ApplyContext, frames: FrameSource, spans: Uint32Array, target: ApplyTarget): Promise<ReadOutcome> {
  const read = readBatch(frames, spans, target.from.watermark, ctx.allowedLatenessSec, ctx.native);
  if (read.poison.length > 0) return read;
  const { sent } = ctx;
  const groups = sent ? sent.lacking(target.partition, target.from, read.groups) : read.groups;
  const applied = await applyBatch(ctx.redis, ctx.prefix, ctx.allowedLatenessSec, { ...target, watermark: read.watermark, groups });
  if (applied.ok) sent?.applied(target.partition, target.offset, read.watermark, groups);
  else sent?.forget(target.partition);
  return { watermark: read.watermark, poison: read.poison, applied };
}
