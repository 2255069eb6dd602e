// The main thread's side of the reader thread: one request per batch, answered in order.
// A thread that dies fails the batches it held (kafkajs retries them) and is replaced.
import { Worker } from 'node:worker_threads';
import { type ReadBatchResult, packFrames } from '../../lib/stats/read-batch';
import type { ReadRequest } from './thread';

type Reply = { id: number; ok: true; result: ReadBatchResult } | { id: number; ok: false; error: string };

export interface FrameReader {
  read(values: (Buffer | null)[], watermark: number, allowedLatenessSec: number): Promise<ReadBatchResult>;
  close(): Promise<void>;
}

export function createFrameReader(): FrameReader {
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
      const { bytes, spans } = packFrames(values);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: ReadRequest = { id, bytes, spans, watermark, allowedLatenessSec };
        // transfer, not copy: the packed buffer belongs to the thread from here
        thread.postMessage(request, [bytes.buffer as ArrayBuffer, spans.buffer as ArrayBuffer]);
      });
    },
    async close() {
      closing = true;
      await thread.terminate();
    },
  };
}
