// Writes each topic-partition's records to the lake one offset range at a time, and commits a
// range's offsets only once its files are in place: a crash replays from the last file.
// A range ends where the lake already has a boundary (so a crash or a replay writes the
// same files again, never one that overlaps another), else when its records pass
// `maxBytes` or its first record has waited `flushMs`. Records inside a file that starts
// before the resume point (retention cut the start of the partition) are in the lake
// already: skipped.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import type { Log } from '../observability/log';
import { type LakeRange, ensureDir, hourDir, lakeFileName, listRanges, overlapping, parseLakeFileName, publishFile, spillName, temporaryName } from './lake-files';
import { type LakeLines, lakeLines } from './lake-lines';
import type { LakeTopic } from './lake-schema';
import { LineBuffer } from './line-buffer';
import type { ParquetWriter } from './parquet-writer';

export interface ArchiverOptions {
  lakeDir: string;
  /** Each archived topic's name. */
  topics: Record<LakeTopic, string>;
  writer: ParquetWriter;
  flushMs: number;
  maxBytes: number;
  /**
   * A range of `idleBytes` or more is written once its partition, read to its end, has had
   * nothing new for `idleMs`: the end of a backlog (a replay, a catch-up) is in the lake
   * moments after it is read, not `flushMs` later. A quiet partition's few records (under
   * `idleBytes`) wait for `flushMs`, so a sparse topic makes few files. A busy partition whose
   * traffic pauses that long makes files of `idleBytes` or more rather than `maxBytes`.
   */
  idleMs?: number;
  idleBytes?: number;
  /** Commits `offset` (the next to read) for the partition. */
  commit(topic: string, partition: number, offset: number): Promise<void>;
  log: Log;
  /** How records become lines (default: lakeLines(), with the native check where it is built). */
  lines?: LakeLines;
}

const HOUR_MS = 3_600_000;

interface Pending {
  first: number;
  last: number;
  /** The range must end here: an existing file's end, or just before the next file's start. */
  endAt?: number;
  /** endAt is an existing file's end: the range is that file again, and waits for all of it. */
  replaying: boolean;
  byHour: Map<string, LineBuffer>;
  bytes: number;
  startedAt: number;
  /** When its last record came, and whether that was the partition's end then (a backlog read to its end). */
  lastAt: number;
  caughtUp: boolean;
}

interface PartitionState {
  topic: string;
  partition: number;
  ranges: Promise<LakeRange[]>;
  pending?: Pending;
  /** Appends and flushes of a partition, one at a time. */
  queue: Promise<unknown>;
  /** The offset last committed by this archiver: a commit never moves back. */
  committed: number;
  /** The group generation it belongs to: work queued before a rebalance writes and commits nothing after it. */
  generation: number;
  /** The range being written, with its commit (one at a time per partition, while the next fills). */
  writing: Promise<void>;
  /** A write or commit that failed: this partition is read again from the last commit (see append). */
  failed?: unknown;
}

export interface Archiver {
  /**
   * Adds a fetched batch of a partition (kafkajs's messages, or its record batches undecoded:
   * lib/kafka/record-batches.ts) from offset `from` on; the ranges it completes are written and
   * committed in the background, in order. `highWatermark`: the partition's end as the fetch
   * saw it (the batch reaching it means caught up). Resolves to the number of records read.
   */
  append(topic: string, partition: number, messages: KafkaMessage[], highWatermark?: number, from?: number): Promise<number>;
  /** Writes the ranges that have waited `flushMs`. */
  flushDue(nowMs?: number): Promise<void>;
  /** Forgets everything unwritten (the group rebalanced: Kafka hands the records out again). */
  reset(): void;
  /** Writes the ranges under way now, waiting for none to fill, and every write begun (a stop with nothing left behind). */
  flushAll(): Promise<void>;
}

export const IDLE_MS = 100;
export const IDLE_BYTES = 1024 * 1024;

export function createArchiver(options: ArchiverOptions): Archiver {
  const { lakeDir, writer, log } = options;
  const idleMs = options.idleMs ?? IDLE_MS;
  const idleBytes = options.idleBytes ?? IDLE_BYTES;
  const lines = options.lines ?? lakeLines();
  const lakeTopicOf = new Map<string, LakeTopic>(Object.entries(options.topics).map(([id, name]) => [name, id as LakeTopic]));
  let states = new Map<string, PartitionState>();
  let generation = 0;
  const current = (state: PartitionState) => state.generation === generation;
  /** A range's lines are done with: their blocks go back, their spill files (if not written) go. */
  const discardLines = (pending: Pending) => {
    for (const lines of pending.byHour.values()) void lines.discard();
  };
  // the folder of each topic's hour, made once per hour rather than once per record
  const dirs = new Map<string, string>();
  const dirOf = (topic: string, timestampMs: number) => {
    const key = `${topic}\u0000${Math.floor(timestampMs / HOUR_MS)}`;
    let dir = dirs.get(key);
    if (dir === undefined) {
      if (dirs.size > 10_000) dirs.clear();
      dirs.set(key, (dir = hourDir(lakeDir, topic, timestampMs)));
    }
    return dir;
  };

  const stateOf = (topic: string, partition: number): PartitionState => {
    const key = `${topic}\u0000${partition}`;
    let state = states.get(key);
    if (!state) {
      state = { topic, partition, ranges: listRanges(lakeDir, topic, partition), queue: Promise.resolve(), committed: -1, generation, writing: Promise.resolve() };
      states.set(key, state);
    }
    return state;
  };

  const enqueue = <T>(state: PartitionState, work: () => Promise<T>): Promise<T> => {
    const next = state.queue.then(work);
    state.queue = next.catch(() => undefined);
    return next;
  };

  async function commitTo(state: PartitionState, offset: number): Promise<void> {
    if (offset <= state.committed || !current(state)) return;
    await options.commit(state.topic, state.partition, offset);
    state.committed = offset;
  }

  /** Records a write (or a commit) after the partition's others; a failure stops the ones after it. */
  const chain = (state: PartitionState, work: () => Promise<void>, always?: () => void) => {
    state.writing = state.writing
      .then(async () => {
        try {
          if (state.failed === undefined) await work();
        } finally {
          always?.();
        }
      })
      .catch((err: unknown) => {
        state.failed ??= err;
      });
  };

  /**
   * Ends the range under way and has it written and committed in the background, once the
   * range before it is (so the records go on being read while DuckDB writes).
   */
  async function flush(state: PartitionState): Promise<void> {
    const pending = state.pending;
    if (!pending) return;
    await state.writing; // at most one range of a partition written at a time: what is held stays bounded
    if (state.pending !== pending) return;
    state.pending = undefined;
    const range = { first: pending.first, last: pending.endAt !== undefined && pending.replaying ? pending.endAt : pending.last };
    // written, failed or skipped: the blocks go back, and a spill file the write did not take goes
    chain(state, () => writeRange(state, pending, range), () => discardLines(pending));
  }

  async function writeRange(state: PartitionState, pending: Pending, range: { first: number; last: number }): Promise<void> {
    const { topic, partition } = state;
    const name = lakeFileName(topic, partition, range);
    const paths: string[] = [];
    for (const [dir, buffer] of pending.byHour) {
      if (buffer.size === 0) continue; // every record of that hour was no valid event
      await ensureDir(dir);
      const path = join(dir, name);
      const temporary = join(dir, temporaryName(name));
      await writer.write(lakeTopicOf.get(topic)!, buffer.blocks(), temporary, (await buffer.spilled()) ?? undefined);
      if (!current(state)) {
        // the group rebalanced meanwhile: the partition's records are handed out again
        await unlink(temporary).catch(() => undefined);
        return;
      }
      // a file another writer left for part of this range (it lost the partition mid-write)
      // goes; one that holds records outside it is left, and said
      for (const other of await overlapping(dir, topic, partition, range)) {
        const o = parseLakeFileName(topic, other)!;
        if (o.first >= range.first && o.last <= range.last) {
          log.warn({ topic, partition, file: other, replacedBy: name }, 'removing a lake file inside the range being written');
          await unlink(join(dir, other)).catch(() => undefined);
        } else {
          log.error({ topic, partition, file: other, writing: name }, 'a lake file overlaps the range being written and holds records outside it: left in place');
        }
      }
      await publishFile(temporary, path);
      paths.push(path);
    }
    const ranges = await state.ranges;
    if (!ranges.some((r) => r.first === range.first)) {
      ranges.push({ ...range, paths });
      ranges.sort((a, b) => a.first - b.first);
    }
    await commitTo(state, range.last + 1);
  }

  async function appendTo(state: PartitionState, messages: KafkaMessage[], highWatermark: number, from: number): Promise<number> {
    try {
      return await appendRecords(state, messages, highWatermark, from);
    } catch (err) {
      // lines half-added (a spill write that failed, say) must not be added again by a retry of
      // the batch: the partition is read again from its last commit instead (see above)
      if (current(state)) state.failed ??= err;
      throw err;
    }
  }

  async function appendRecords(state: PartitionState, messages: KafkaMessage[], highWatermark: number, from: number): Promise<number> {
    const { topic, partition } = state;
    const lakeTopic = lakeTopicOf.get(topic);
    if (!lakeTopic) throw new Error(`${topic} is not an archived topic`);
    // a file or a commit failed: nothing after it was committed; the consumer's retries fail
    // too until kafkajs restarts it, and the rejoined group reads on from the last commit
    if (state.failed !== undefined) throw state.failed;
    const ranges = await state.ranges;
    let now = Date.now();
    const batch = lines.batch(lakeTopic, messages, from);
    const { offsets, stamps } = batch;
    const n = offsets.length;
    let skippedTo: number | undefined;
    for (let i = 0; i < n; ) {
      const offset = offsets[i]!;
      let pending = state.pending;
      // a batch fetched again (its apply failed): what is held or committed already is not added twice
      if (offset < state.committed || (pending && offset <= pending.last)) {
        i++;
        continue;
      }
      if (pending && pending.endAt !== undefined && offset > pending.endAt) {
        await flush(state); // the records up to the boundary ended before it
        now = Date.now(); // it may have waited for the write before
        pending = undefined;
      }
      if (!pending) {
        const covering = ranges.find((r) => r.first <= offset && offset <= r.last);
        if (covering && covering.first < offset) {
          skippedTo = covering.last;
          i++;
          continue;
        }
        const next = ranges.find((r) => r.first > offset);
        pending = {
          first: offset,
          last: offset,
          ...(covering ? { endAt: covering.last } : next ? { endAt: next.first - 1 } : {}),
          replaying: covering !== undefined,
          byHour: new Map(),
          bytes: 0,
          startedAt: now,
          lastAt: now,
          caughtUp: false,
        };
        state.pending = pending;
      }
      // the records from i on that reached Kafka in the same hour, up to the range's boundary
      const hour = Math.floor(stamps[i]! / HOUR_MS);
      const endAt = pending.endAt ?? Number.POSITIVE_INFINITY;
      let to = i + 1;
      while (to < n && Math.floor(stamps[to]! / HOUR_MS) === hour && offsets[to]! <= endAt) to++;
      const dir = dirOf(topic, stamps[i]!);
      let out = pending.byHour.get(dir);
      if (!out) pending.byHour.set(dir, (out = new LineBuffer(join(dir, spillName(topic, partition, pending.first)))));
      const before = out.size;
      // records that are no valid event write nothing, but are in the range
      const next = lines.write(lakeTopic, partition, batch, i, to, out, pending.replaying ? Number.POSITIVE_INFINITY : options.maxBytes - pending.bytes);
      pending.bytes += out.size - before;
      pending.last = offsets[next - 1]!;
      pending.lastAt = now;
      pending.caughtUp = pending.last + 1 >= highWatermark;
      const atBoundary = pending.endAt !== undefined && pending.last >= pending.endAt;
      if (atBoundary || (!pending.replaying && pending.bytes >= options.maxBytes)) {
        await flush(state);
        now = Date.now();
      }
      i = next;
    }
    // all of this batch was in the lake already: move the group on past it
    if (skippedTo !== undefined && !state.pending) {
      const to = skippedTo + 1;
      chain(state, () => commitTo(state, to));
    }
    return n;
  }

  return {
    append(topic, partition, messages, highWatermark = Number.POSITIVE_INFINITY, from = 0) {
      const state = stateOf(topic, partition);
      return enqueue(state, () => appendTo(state, messages, highWatermark, from));
    },
    async flushDue(nowMs = Date.now()) {
      const isDue = (p: Pending | undefined): p is Pending =>
        p !== undefined && !p.replaying && (nowMs - p.startedAt >= options.flushMs || (p.caughtUp && p.bytes >= idleBytes && nowMs - p.lastAt >= idleMs));
      await Promise.all(
        [...states.values()]
          .filter((state) => isDue(state.pending))
          .map((state) => {
            const found = state.pending;
            // an append may have closed that range and opened another before this runs
            return enqueue(state, async () => {
              if (state.pending === found && isDue(found)) await flush(state);
            });
          }),
      );
    },
    reset() {
      // the ranges under way are not written: Kafka hands their records out again
      for (const state of states.values()) if (state.pending) discardLines(state.pending);
      generation++;
      states = new Map();
    },
    async flushAll() {
      await Promise.all(
        [...states.values()].map((state) =>
          enqueue(state, async () => {
            if (state.pending && !state.pending.replaying) await flush(state);
            await state.writing;
            if (state.failed !== undefined) throw state.failed;
          }),
        ),
      );
    },
  };
}
