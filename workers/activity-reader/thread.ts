// The activity worker's reader thread: reads each batch and applies it to Redis (see
// read-and-apply.ts) off the event loop, so the loop keeps fetching from Kafka meanwhile
// (the box has 2 cores). Batches of different partitions overlap here; the lanes keep one
// partition's in order.
import { parentPort, workerData } from 'node:worker_threads';
import { createRedis } from '../../lib/redis/client';
import { loadNativeScan } from '../../lib/stats/native-uid-ts';
import { type ApplyTarget, readAndApply } from '../../lib/stats/read-and-apply';
import type { FrameSource } from '../../lib/stats/read-batch';
import { sentUids } from '../../lib/stats/sent-uids';
import { windowStore } from '../../lib/stats/window-store';

export interface ReaderThreadData {
  /** The native scan's build to read with (the main thread checked that it loads), or null. */
  native: string | null;
  redisUrl: string;
  prefix: string;
  allowedLatenessSec: number;
  futureToleranceSec: number;
}

export interface ReadRequest {
  id: number;
  /** Shared bytes, or (native) the address of fetched bytes the main thread holds until it is answered. */
  frames: FrameSource;
  /** Frame i is spans[2i] to spans[2i+1] of frames. */
  spans: Uint32Array;
  /** Each frame's Kafka record timestamp, ms. */
  recordTs: Float64Array;
  target: ApplyTarget;
}

const data = workerData as ReaderThreadData;
// the main thread loaded it already; were it to fail here, the main thread is told at its first read
const loaded = data.native ? loadNativeScan(data.native) : null;
const ctx = {
  store: windowStore(createRedis(data.redisUrl, 'lastmile-activity-reader'), data.prefix),
  allowedLatenessSec: data.allowedLatenessSec,
  futureToleranceSec: data.futureToleranceSec,
  native: loaded?.scan ?? null,
  // a window's set is sent each uid once, not once per batch
  sent: sentUids(data.allowedLatenessSec),
};

parentPort!.postMessage({ ready: true });
parentPort!.on('message', (r: ReadRequest) => {
  (async () => {
    if (loaded && !ctx.native) throw new Error(`the native scan did not load on the reader thread: ${'reason' in loaded ? loaded.reason : ''}`);
    return readAndApply(ctx, r.frames, r.spans, r.recordTs, r.target);
  })().then(
    (result) => parentPort!.postMessage({ id: r.id, ok: true, result }),
    (err: unknown) => parentPort!.postMessage({ id: r.id, ok: false, error: String((err as Error)?.stack ?? err) }),
  );
});
