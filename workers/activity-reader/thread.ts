// The activity worker's reader thread: reads and classifies batches off the event loop, so
// the loop keeps fetching from Kafka and writing to Redis meanwhile (the box has 2 cores).
import { parentPort } from 'node:worker_threads';
import { readBatch } from '../../lib/stats/read-batch';

export interface ReadRequest {
  id: number;
  bytes: Uint8Array;
  /** Frame i is bytes[spans[2i], spans[2i+1]). */
  spans: Uint32Array;
  watermark: number;
  allowedLatenessSec: number;
}

parentPort!.on('message', (r: ReadRequest) => {
  try {
    parentPort!.postMessage({ id: r.id, ok: true, result: readBatch(r.bytes, r.spans, r.watermark, r.allowedLatenessSec) });
  } catch (err) {
    parentPort!.postMessage({ id: r.id, ok: false, error: String((err as Error).stack ?? err) });
  }
});
