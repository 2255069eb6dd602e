// Record batches as Kafka sends them, made with kafkajs's own encoder, and kafkajs's decoding
// of a partition's record set: for tests of the readers of undecoded batches.
import { createRequire } from 'node:module';
import type { KafkaMessage } from 'kafkajs';
import { installUndecodedBatches, markUndecoded } from './record-batches';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (args: Record<string, unknown>) => Promise<Encoded> };
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: TestRecord) => unknown;
export const KafkaDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

export const installed = installUndecodedBatches();
export const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js') as (decoder: unknown) => Promise<KafkaMessage[]>;

export interface TestRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
export interface TestBatch {
  base: number;
  stamp: number;
  records: TestRecord[];
  compressed?: boolean;
  transactional?: boolean;
  logAppendTime?: boolean;
}

export async function encode(batch: TestBatch): Promise<Buffer> {
  const last = batch.records.at(-1)!;
  const { buffer } = await RecordBatch({
    compression: batch.compressed ? Types.GZIP : Types.None,
    firstOffset: String(batch.base),
    firstTimestamp: batch.stamp,
    maxTimestamp: batch.stamp + Math.max(...batch.records.map((r) => r.timestampDelta)),
    lastOffsetDelta: last.offsetDelta,
    transactional: batch.transactional ?? false,
    records: batch.records.map((r) => KafkaRecord(r)),
  });
  if (batch.logAppendTime) buffer.writeInt16BE(buffer.readInt16BE(21) | 0x08, 21);
  return buffer;
}

/** A partition's record set as a fetch response holds it (size, then batches), in a buffer of its own. */
export async function recordSet(batches: TestBatch[], partialTail?: TestBatch): Promise<Buffer> {
  const parts = await Promise.all(batches.map(encode));
  if (partialTail) {
    const tail = await encode(partialTail);
    parts.push(tail.subarray(0, tail.length - 3));
  }
  const body = Buffer.concat(parts);
  const out = Buffer.allocUnsafeSlow(4 + body.length + 8);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  out.fill(0xee, 4 + body.length); // what follows in the response
  return out;
}

/** The record set decoded by kafkajs (a copy, unmarked) and as the undecoded reader gets it (marked). */
export async function bothWays(set: Buffer): Promise<{ decoded: KafkaMessage[]; got: KafkaMessage[] }> {
  const decoded = await decodeMessages(new KafkaDecoder(Buffer.from(set)));
  markUndecoded(set.buffer);
  return { decoded, got: await decodeMessages(new KafkaDecoder(set)) };
}
