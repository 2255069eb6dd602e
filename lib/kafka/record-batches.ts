// Fetched record batches handed to the consumer undecoded, for a consumer that reads its
// records' bytes where they lie (the archive worker's: lib/lake/lake-lines.ts).
//
// kafkajs decodes every record of a fetch into an object (offset and timestamp as strings by
// way of Long, key, value and each header a Buffer of its own): for a consumer that only
// copies values out, that decoding and its garbage are most of its main thread (measured on
// the archive worker: kafkajs ~1.4 s and the garbage collector ~1.3 s per million pings).
// Here, for responses read by a fetchBuffers({ undecoded: true }) socket only, each plain
// record batch (magic 2, uncompressed, neither transactional nor control) comes to the
// consumer as one message: its `offset` the batch's last offset, its `value` the batch's
// bytes. kafkajs's consumer needs no more of a message than that (its Batch keeps a
// message whose offset is not before the fetched one; resolveOffset takes the last). Any
// other batch is decoded by kafkajs as usual, so a fetch may hold both kinds; readRecords
// reads the plain ones into arrays, decodeRecords makes kafkajs's messages of them.
//
// Every other kafkajs connection in the process decodes as before: only responses whose
// ArrayBuffer was marked (markUndecoded) are read this way.
import { createRequire } from 'node:module';
import type { IHeaders, KafkaMessage } from 'kafkajs';

const BATCH_HEADER = 61; // baseOffset .. recordCount
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;
const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** One plain record batch, undecoded: what the consumer sees as a message. */
export class RecordBatchMessage {
  readonly key = null;
  readonly headers: IHeaders = {};
  readonly attributes = 0;
  readonly isControlRecord = false;
  /** The batch's last offset and max timestamp, as kafkajs gives a message's. */
  readonly offset: string;
  readonly timestamp: string;
  readonly size: number;
  /**
   * What kafkajs's filter of aborted transactions reads of a message (consumer/
   * filterAbortedMessages.js): a plain batch is in no transaction, so it is always kept.
   */
  readonly batchContext: { producerId: string; inTransaction: false; isControlBatch: false };
  constructor(
    /** The batch's bytes, from its base offset on. */
    readonly value: Buffer,
  ) {
    this.size = value.length;
    this.offset = String(value.readBigInt64BE(0) + BigInt(value.readInt32BE(23)));
    this.timestamp = String(value.readBigInt64BE(35));
    this.batchContext = { producerId: String(value.readBigInt64BE(43)), inTransaction: false, isControlBatch: false };
  }
}

const marked = new WeakSet<ArrayBufferLike>();

/** The response in `buffer` is read by a consumer that takes its plain batches undecoded. */
export function markUndecoded(buffer: ArrayBufferLike): void {
  marked.add(buffer);
}

export const isRecordBatch = (message: KafkaMessage): boolean => (message as unknown) instanceof RecordBatchMessage;
const asBatch = (message: KafkaMessage): RecordBatchMessage | null => ((message as unknown) instanceof RecordBatchMessage ? (message as unknown as RecordBatchMessage) : null);

let installed: { ok: true } | { ok: false; why: string } | undefined;

const FETCH_RESPONSES = ['v4', 'v5', 'v7', 'v8', 'v11'].map((v) => `kafkajs/src/protocol/requests/fetch/${v}/response.js`);

interface Decoder {
  buffer: Buffer;
  offset: number;
  readInt32(): number;
  canReadBytes(n: number): boolean;
}

/**
 * Has kafkajs hand marked responses' plain batches over undecoded (see above). Must run
 * before this process's first fetch: the Fetch responses bind their decoder when loaded.
 * Not installed, and nothing changed, where kafkajs is not the version this was written for
 * or has fetched already.
 */
export function installUndecodedBatches(): { ok: true } | { ok: false; why: string } {
  if (installed) return installed;
  const require = createRequire(import.meta.url);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== '2.2.4') return (installed = { ok: false, why: `kafkajs ${version}, not 2.2.4` });
  const path = require.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js');
  const loaded = FETCH_RESPONSES.map((p) => require.resolve(p)).filter((p) => require.cache[p]);
  if (loaded.length > 0) return (installed = { ok: false, why: 'kafkajs has fetched in this process already' });
  const original = require(path) as (decoder: Decoder) => Promise<unknown[]>;
  const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: Decoder) => Promise<{ records: unknown[] }>;
  const KafkaDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => Decoder;
  if (typeof original !== 'function' || !/RECORD_BATCH_OVERHEAD/.test(original.toString())) return (installed = { ok: false, why: 'kafkajs decodeMessages is not the one this was written for' });
  const decodeMessages = async (decoder: Decoder): Promise<unknown[]> => {
    if (!marked.has(decoder.buffer.buffer)) return original(decoder);
    // as kafkajs's own: the partition's record set, then its batches one by one
    const start = decoder.offset;
    const size = decoder.readInt32();
    if (size <= 0 || !decoder.canReadBytes(size)) return [];
    const set = decoder.buffer.subarray(decoder.offset, decoder.offset + size);
    decoder.offset += size;
    if (set.length <= MAGIC_AT || set[MAGIC_AT] !== 2) {
      decoder.offset = start; // the older message format: kafkajs's own
      return original(decoder);
    }
    const out: unknown[] = [];
    let at = 0;
    while (set.length - at >= BATCH_HEADER) {
      const length = set.readInt32BE(at + 8);
      const end = at + 12 + length;
      if (end > set.length) break; // a partial batch at the end (the fetch's size limit): fetched again
      if (length < BATCH_HEADER - 12) throw new Error(`a record batch of ${length} bytes at offset ${set.readBigInt64BE(at)}: shorter than its header`);
      const attributes = set.readInt16BE(at + ATTRIBUTES_AT);
      if (set[at + MAGIC_AT] === 2 && (attributes & (COMPRESSION_MASK | TRANSACTIONAL | CONTROL)) === 0) {
        out.push(new RecordBatchMessage(set.subarray(at, end)));
      } else {
        out.push(...(await RecordBatchDecoder(new KafkaDecoder(set.subarray(at, end)))).records);
      }
      at = end;
    }
    return out;
  };
  require.cache[path]!.exports = decodeMessages;
  return (installed = { ok: true });
}

/** A batch's records as arrays: the values' spans lie in `region` (one ArrayBuffer). */
export interface RecordsRead {
  offsets: Float64Array;
  stamps: Float64Array;
  /** Value i is region[spans[2i], spans[2i+1]) (empty for a null value). */
  spans: Uint32Array;
  region: Uint8Array;
  /** Record i as kafkajs would have decoded it (key, value, headers), for a reader that needs more. */
  message(i: number): KafkaMessage;
}

// the record being read: a module-level cursor keeps the varint reads free of allocation
let bytes: Uint8Array = new Uint8Array(0);
let pos = 0;

/** A zigzag varint (up to 2^53, as a number). */
function varint(): number {
  let result = 0;
  let scale = 1;
  let b: number;
  let read = 0;
  do {
    if (pos >= bytes.length || ++read > 10) throw new Error('a record runs past its batch, or a varint past 10 bytes');
    b = bytes[pos++]!;
    result += (b & 0x7f) * scale;
    scale *= 128;
  } while (b >= 0x80);
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/**
 * Reads the records of `messages` (all RecordBatchMessage, of one response) from offset
 * `from` on. Null when they are not all plain batches of one buffer (decodeRecords then).
 */
export function readRecords(messages: readonly KafkaMessage[], from = 0): RecordsRead | null {
  if (messages.length === 0) return null;
  let count = 0;
  const first = messages[0]!.value!;
  const buffer = first.buffer;
  let last = first;
  for (const message of messages) {
    const m = asBatch(message);
    if (!m || m.value.buffer !== buffer || m.value.byteOffset < last.byteOffset) return null;
    const records = m.value.readInt32BE(57);
    // a record takes 7 bytes at least: a count past that is no batch's
    if (records < 0 || records * 7 > m.value.length - BATCH_HEADER) throw new Error(`a record batch at offset ${m.value.readBigInt64BE(0)} claims ${records} records in ${m.value.length} bytes`);
    count += records;
    last = m.value;
  }
  const region = new Uint8Array(buffer, first.byteOffset, last.byteOffset + last.length - first.byteOffset);
  const offsets = new Float64Array(count);
  const stamps = new Float64Array(count);
  const spans = new Uint32Array(count * 2);
  const starts = new Uint32Array(count); // each record's start in region, for message(i)
  let n = 0;
  bytes = region;
  for (const m of messages) {
    const batch = asBatch(m)!.value;
    const at = batch.byteOffset - first.byteOffset;
    const base = Number(batch.readBigInt64BE(0));
    const appendTime = (batch.readInt16BE(ATTRIBUTES_AT) & LOG_APPEND_TIME) !== 0;
    const firstStamp = Number(batch.readBigInt64BE(27));
    const maxStamp = Number(batch.readBigInt64BE(35));
    const records = batch.readInt32BE(57);
    pos = at + BATCH_HEADER;
    const end = at + batch.length;
    bytes = region.subarray(0, end);
    for (let r = 0; r < records; r++) {
      const length = varint();
      const recordStart = pos;
      pos++; // attributes
      const stampDelta = varint();
      const offset = base + varint();
      const next = recordStart + length;
      if (offset < from) {
        pos = next;
        continue;
      }
      const keyLength = varint();
      if (keyLength > 0) pos += keyLength;
      const valueLength = varint();
      offsets[n] = offset;
      stamps[n] = appendTime ? maxStamp : firstStamp + stampDelta;
      starts[n] = recordStart;
      spans[2 * n] = pos;
      spans[2 * n + 1] = valueLength > 0 ? pos + valueLength : pos;
      if (valueLength > 0 && pos + valueLength > next) throw new Error(`record ${offset}'s value runs past the record`);
      if (next > end) throw new Error(`record ${offset} runs past its batch`);
      pos = next;
      n++;
    }
  }
  bytes = new Uint8Array(0);
  const cut = n < count;
  let view: Buffer | undefined; // the region as a Buffer, made once for the records decoded
  return {
    offsets: cut ? offsets.subarray(0, n) : offsets,
    stamps: cut ? stamps.subarray(0, n) : stamps,
    spans: cut ? spans.subarray(0, 2 * n) : spans,
    region,
    message: (i) => decodeRecord((view ??= Buffer.from(region.buffer, region.byteOffset, region.length)), starts[i]!, offsets[i]!, stamps[i]!),
  };
}

/** One record at `start` in `region`, as kafkajs's RecordDecoder makes it. */
function decodeRecord(buf: Buffer, start: number, offset: number, stamp: number): KafkaMessage {
  bytes = buf;
  pos = start;
  const attributes = bytes[pos++]!;
  varint(); // timestamp delta
  varint(); // offset delta
  const slice = () => {
    const n = varint();
    if (n < 0) return null;
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const key = slice();
  const value = slice();
  const headers: IHeaders = {};
  const count = varint();
  for (let h = 0; h < count; h++) {
    const name = slice()?.toString('utf8') ?? 'null';
    const v = slice() as Buffer; // null for a null value, as kafkajs has it
    const had = headers[name];
    headers[name] = had === undefined ? v : Array.isArray(had) ? [...had, v] : ([had, v] as Buffer[]);
  }
  bytes = new Uint8Array(0);
  return { attributes, timestamp: String(stamp), offset: String(offset), key, value, headers } as KafkaMessage;
}

/** The batch's messages as kafkajs decodes them: plain batches' records decoded, the rest as they are. */
export function decodeRecords(messages: readonly KafkaMessage[], from = 0): KafkaMessage[] {
  const out: KafkaMessage[] = [];
  for (const m of messages) {
    if (!asBatch(m)) {
      if (Number(m.offset) >= from) out.push(m);
      continue;
    }
    const read = readRecords([m], from)!;
    for (let i = 0; i < read.offsets.length; i++) out.push(read.message(i));
  }
  return out;
}
