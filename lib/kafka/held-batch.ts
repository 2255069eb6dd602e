// A fetched batch as the activity worker keeps it while it waits in its lane and is read on
// the reader thread: the values where kafkajs put them (one region of the fetched response,
// each value's span in it), the offsets and, for dead letters, the keys; not kafkajs's
// message objects. Those, kept while kafkajs decodes the next fetch, outlive the young
// generation, and the worker's scavenges cost half as much again as the raw consumer's.
// Messages with headers, or whose values or keys lie elsewhere (a compressed batch), are
// kept as they are.
import type { KafkaMessage } from 'kafkajs';
import { frameRegion } from '../stats/read-batch';

/** Frames as the reader takes them: a region and each frame's span in it, or the values. */
export type HeldFrames = { region: Uint8Array; spans: Uint32Array } | { values: (Uint8Array | null)[] };

export interface HeldBatch {
  count: number;
  offset(i: number): number;
  /** Frames `from` to the end. */
  frames(from: number): HeldFrames;
  /** Their Kafka record timestamps, ms. */
  timestamps(from: number): Float64Array;
  /** Message i, as the dead-letter topic takes it (key, value, headers, offset). */
  message(i: number): KafkaMessage;
}

export function holdBatch(messages: KafkaMessage[]): HeldBatch {
  const n = messages.length;
  const offsets = new Float64Array(n);
  const stamps = new Float64Array(n);
  const values = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) {
    offsets[i] = Number(messages[i]!.offset);
    stamps[i] = Number(messages[i]!.timestamp);
    values[i] = messages[i]!.value;
  }
  const timestamps = (from: number) => (from === 0 ? stamps : stamps.subarray(from));
  const inOne = frameRegion(values);
  const keys = inOne ? keysIn(messages, inOne.region.buffer) : null;
  if (!inOne || !keys) {
    return { count: n, offset: (i) => offsets[i]!, frames: (from) => ({ values: values.slice(from) }), timestamps, message: (i) => messages[i]! };
  }
  const { region, spans } = inOne;
  const at = region.byteOffset;
  return {
    count: n,
    offset: (i) => offsets[i]!,
    // spans are offsets into the region, so the tail's are the tail of the spans
    frames: (from) => ({ region, spans: from === 0 ? spans : spans.subarray(2 * from) }),
    timestamps,
    message: (i) =>
      ({
        key: keys[3 * i]! < 0 ? null : Buffer.from(region.buffer, keys[3 * i]!, keys[3 * i + 1]!),
        value: keys[3 * i + 2] ? null : Buffer.from(region.buffer, at + spans[2 * i]!, spans[2 * i + 1]! - spans[2 * i]!),
        headers: {},
        offset: String(offsets[i]),
        timestamp: String(stamps[i]),
        attributes: 0,
      }) as KafkaMessage,
  };
}

/**
 * Each message's key as (byte offset in `buffer`, length) or (-1, 0), and whether its value is
 * null; null when a message has headers or a key elsewhere, so the messages must be kept.
 */
function keysIn(messages: KafkaMessage[], buffer: ArrayBufferLike): Int32Array | null {
  const keys = new Int32Array(3 * messages.length);
  for (let i = 0; i < messages.length; i++) {
    const { key, value, headers } = messages[i]!;
    for (const _ in headers) return null;
    if (key) {
      if (key.buffer !== buffer) return null;
      keys[3 * i] = key.byteOffset;
      keys[3 * i + 1] = key.length;
    } else keys[3 * i] = -1;
    keys[3 * i + 2] = value === null ? 1 : 0;
  }
  return keys;
}
