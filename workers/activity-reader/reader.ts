// The main thread's side of the reader thread: one request per batch, answered in order.
// A thread that dies fails the batches it held (their lanes fetch them again) and is replaced.
// A batch's frames go over in shared memory from a pool, so no buffer of megabytes is
// allocated (and its pages faulted in) per batch.
import { Worker } from 'node:worker_threads';
import { type ReadBatchResult, packFrames } from '../../lib/stats/read-batch';
import type { ReadRequest } from './thread';

type Reply = { id: number; ok: true; result: ReadBatchResult } | { id: number; ok: false; error: string };

export interface FrameReader {
  read(values: (Buffer | null)[], watermark: number, allowedLatenessSec: number): Promise<ReadBatchResult>;
  close(): Promise<void>;
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

export function createFrameReader(): FrameReader {
  const pool = sharedPool();
  const pending = new Map<number, { resolve: (r: ReadBatchResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let closing = false;
  let thread = start();

  function start(): Worker {
    const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { entry: new URL('./thread.ts', import.meta.url).href } });
    worker.on('message', (reply: Reply) => {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.result);
      else waiter?.reject(new Error(`reader thread: ${reply.error}`));
    });
    const fail = (err: Error) => {
      for (const waiter of pending.values()) waiter.reject(err);
      pending.clear();
      if (!closing) thread = start();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new Error(`reader thread exited with code ${code}`));
    });
    return worker;
  }

  return {
    read(values, watermark, allowedLatenessSec) {
      let shared: SharedArrayBuffer | undefined;
      const { bytes, spans } = packFrames(values, (size) => new Uint8Array((shared = pool.take(size)), 0, size));
      const id = nextId++;
      return new Promise<ReadBatchResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: ReadRequest = { id, bytes, spans, watermark, allowedLatenessSec };
        // the shared bytes are the thread's until it answers; the spans are handed over
        thread.postMessage(request, [spans.buffer as ArrayBuffer]);
      }).finally(() => shared && pool.give(shared));
    },
    async close() {
      closing = true;
      await thread.terminate();
    },
  };
}
