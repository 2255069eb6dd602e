// The main thread's side of the reader thread: one request per batch, which the thread reads
// and (without poison) applies to Redis (lib/stats/read-and-apply.ts). A thread that dies
// fails the batches it held (their lanes fetch them again) and is replaced.
// With the native scan a batch is not copied at all: the thread scans the fetched bytes where
// they are, by address, and this side keeps them referenced until the thread has answered
// (kafkajs never writes to a fetched response once decoded, and lib/kafka/fetch-buffers.ts
// reuses one only once its batches are applied). Without it, a batch's frames go
// over in shared memory from a pool, so no buffer of megabytes is allocated per batch.
// The thread is started at the first batch. Until it has booted (~80 ms of CPU, from a
// bundle: see thread-module.ts), batches are done here; so too while a thread that died is
// replaced: at once the first time, then after a backoff while the new ones die before
// answering a batch.
import { Worker } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import { type NativeScan, loadNativeScan } from '../../lib/stats/native-uid-ts';
import { type ApplyTarget, type ReadOutcome, readAndApply } from '../../lib/stats/read-and-apply';
import { windowStore } from '../../lib/stats/window-store';
import type { HeldFrames } from '../../lib/kafka/held-batch';
import { type FrameSource, packFrames } from '../../lib/stats/read-batch';
import type { ReadRequest, ReaderThreadData } from './thread';
import { threadModule } from './thread-module';

type Reply = { ready: true } | { id: number; ok: true; result: ReadOutcome } | { id: number; ok: false; error: string };

/** STATS_READER: native where it is built (auto), native or fail (native), or JavaScript (js). */
export type ReaderChoice = 'auto' | 'native' | 'js';

export interface FrameReader {
  /** What reads the frames, and why not the native scan where it is not. */
  kind: 'native' | 'js';
  why?: string;
  /** Reads the batch's frames (with their record timestamps) and, when none is poison, applies the batch on `target`. */
  read(frames: HeldFrames, recordTs: Float64Array, target: ApplyTarget): Promise<ReadOutcome>;
  /** Resolves once the current thread is up. */
  ready(): Promise<void>;
  /** Batches done so far on the thread, and here (while none was up); threads started. */
  counts(): { onThread: number; here: number; threads: number };
  close(): Promise<void>;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Waiter>;
  ready: boolean;
  up: Promise<void>;
}

interface Waiter {
  resolve: (r: ReadOutcome) => void;
  reject: (e: Error) => void;
  /** The bytes the thread reads by address: referenced until the thread is done with them. */
  held?: Uint8Array;
}

/** Shared buffers kept for reuse; grown in whole MiB. */
const POOL_KEEP = 16;
const MiB = 1024 * 1024;

function sharedPool() {
  const free: SharedArrayBuffer[] = [];
  return {
    take(size: number): SharedArrayBuffer {
      const i = free.findIndex((b) => b.byteLength >= size);
      if (i >= 0) return free.splice(i, 1)[0]!;
      return new SharedArrayBuffer(Math.max(1, Math.ceil(size / MiB)) * MiB);
    },
    give(buffer: SharedArrayBuffer) {
      if (free.length < POOL_KEEP) free.push(buffer);
    },
  };
}

export interface FrameReaderOptions {
  choice: ReaderChoice;
  /** The worker's own client, for batches done before the thread is up. */
  redis: Redis;
  /** For the thread's client. */
  redisUrl: string;
  prefix: string;
  allowedLatenessSec: number;
  futureToleranceSec: number;
  /** The thread's module, when not the bundle of thread.ts (tests). */
  module?: URL;
}

/** Pause before starting the next thread after the nth in a row died without answering a batch, ms. */
const restartDelayMs = (failures: number) => (failures === 0 ? 0 : Math.min(5_000, 100 * 2 ** (failures - 1)));

export async function createFrameReader(options: FrameReaderOptions): Promise<FrameReader> {
  const { choice, redis, redisUrl, prefix, allowedLatenessSec, futureToleranceSec } = options;
  const store = windowStore(redis, prefix);
  const loaded = choice === 'js' ? { scan: null, reason: 'STATS_READER=js' } : loadNativeScan();
  if (choice === 'native' && !loaded.scan) throw new Error(`STATS_READER=native, but the native scan is unusable: ${'reason' in loaded ? loaded.reason : ''}`);
  const scan: NativeScan | null = loaded.scan;
  // the thread loads the very build this thread checked
  const nativeFile = loaded.scan ? loaded.file : null;
  const module = options.module ?? (await threadModule());
  const pool = sharedPool();
  let nextId = 0;
  let here = 0;
  let closing = false;
  let threads = 0;
  // threads in a row that died without answering a batch
  let failures = 0;
  let restart: NodeJS.Timeout | undefined;
  // Started at the first batch, not here: booting alongside the broker's first fetch, it
  // delayed that fetch by ~0.1 s.
  let thread: Thread | undefined;
  const current = () => (thread ??= start());

  /** A thread and the requests it holds; the map outlives a failure until the thread has exited. */
  function start(): Thread {
    const pending = new Map<number, Waiter>();
    threads++;
    let up!: () => void;
    const worker = new Worker(module, {
      workerData: { native: nativeFile, redisUrl, prefix, allowedLatenessSec, futureToleranceSec } satisfies ReaderThreadData,
    });
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        started.ready = true;
        up();
        return;
      }
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) {
        failures = 0;
        waiter?.resolve(reply.result);
      } else waiter?.reject(new Error(`reader thread: ${reply.error}`));
    });
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      started.ready = false; // batches are done here meanwhile
      for (const waiter of pending.values()) waiter.reject(err);
      if (closing) return;
      restart = setTimeout(() => {
        if (!closing) thread = start();
      }, restartDelayMs(failures++));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new Error(`reader thread exited with code ${code}`));
      pending.clear(); // the thread is gone: nothing reads the held bytes any more
    });
    const started = { worker, pending, ready: false, up: new Promise<void>((resolve) => (up = resolve)) };
    return started;
  }

  return {
    kind: scan ? 'native' : 'js',
    why: 'reason' in loaded ? loaded.reason : undefined,
    async read(frames, recordTs, target) {
      const { worker, pending, ready } = current();
      if (!ready) {
        here++;
        const { bytes, spans } = 'region' in frames ? { bytes: frames.region, spans: frames.spans } : packFrames(frames.values);
        return readAndApply({ store, allowedLatenessSec, futureToleranceSec, native: scan }, { bytes }, spans, recordTs, target);
      }
      let shared: SharedArrayBuffer | undefined;
      let held: Uint8Array | undefined;
      let source: FrameSource;
      let spans: Uint32Array;
      const take = (size: number) => new Uint8Array((shared = pool.take(size)), 0, size);
      if ('region' in frames) {
        spans = frames.spans;
        if (scan) {
          held = frames.region;
          source = { address: scan.address(held), length: held.length };
        } else {
          const bytes = take(frames.region.length);
          bytes.set(frames.region);
          source = { bytes };
        }
      } else {
        const packed = packFrames(frames.values, take);
        source = { bytes: packed.bytes };
        spans = packed.spans;
      }
      const id = nextId++;
      return new Promise<ReadOutcome>((resolve, reject) => {
        pending.set(id, { resolve, reject, held });
        const request: ReadRequest = { id, frames: source, spans, recordTs, target };
        // shared bytes are the thread's until it answers; the spans are copied (the batch keeps
        // its own, for a second read after a refused apply)
        worker.postMessage(request);
      }).finally(() => shared && pool.give(shared));
    },
    ready: () => current().up,
    counts: () => ({ onThread: nextId, here, threads }),
    async close() {
      closing = true;
      clearTimeout(restart);
      await thread?.worker.terminate();
    },
  };
}
