// The activity worker's reader thread: reads and classifies batches off the event loop, so
// the loop keeps fetching from Kafka and writing to Redis meanwhile (the box has 2 cores).
import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeScan } from '../../lib/stats/native-uid-ts';
import { type FrameSource, readBatch } from '../../lib/stats/read-batch';

export interface ReaderThreadData {
  entry: string;
  /** Read with the native scan (the main thread checked that it loads). */
  native: boolean;
}

export interface ReadRequest {
  id: number;
  /** Shared bytes, or (native) the address of fetched bytes the main thread holds until it is answered. */
  frames: FrameSource;
  /** Frame i is spans[2i] to spans[2i+1] of frames. */
  spans: Uint32Array;
  watermark: number;
  allowedLatenessSec: number;
}

// the main thread loaded it already; were it to fail here, the main thread is told at its first read
const loaded = (workerData as ReaderThreadData).native ? loadNativeScan() : null;
const native = loaded?.scan ?? null;

parentPort!.on('message', (r: ReadRequest) => {
  try {
    if (loaded && !native) throw new Error(`the native scan did not load on the reader thread: ${'reason' in loaded ? loaded.reason : ''}`);
    parentPort!.postMessage({ id: r.id, ok: true, result: readBatch(r.frames, r.spans, r.watermark, r.allowedLatenessSec, native) });
  } catch (err) {
    parentPort!.postMessage({ id: r.id, ok: false, error: String((err as Error).stack ?? err) });
  }
});
