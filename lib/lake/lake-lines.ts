// A Kafka record as one line for the Parquet writer: {"p":partition,"o":offset,"t":timestamp,
// "v":event}. An event topic's record goes in only if it is a valid event (the workers
// dead-letter the rest, and the dead letters are archived with their reasons); its bytes
// are copied, not re-encoded (line-buffer.ts). A dead letter's key, value and headers become its fields.
// A batch's records go through the native check first where it is built (native-lines.ts):
// the records it proves valid get the same lines, sooner; the rest are decided here.
import type { KafkaMessage } from 'kafkajs';
import { decodeRecords, isRecordBatch, readRecords } from '../kafka/record-batches';
import { frameRegion } from '../stats/read-batch';
import { decodeEvent } from '../events/decode';
import { schemaId } from '../events/registry';
import { tooDeepAt, validateEvent, validatorFor } from '../events/validate';
import { type LakeTopic, eventTypeOf, keepsFrame } from './lake-schema';
import type { LineBuffer } from './line-buffer';
import { type NativeLineWriter, type RecordRun, STOP, nativeLineWriter } from './native-lines';

const validFrame = validatorFor(schemaId('user.activity', 1));

/** An activity frame may come as app logs write it, without type or version (a bulk load). */
function isValidActivity(message: KafkaMessage): boolean {
  let frame: unknown;
  try {
    frame = JSON.parse(message.value!.toString('utf8'));
  } catch {
    return false;
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return false;
  if ((frame as { type?: unknown }).type === undefined) return tooDeepAt(frame) === undefined && validFrame(frame);
  const typed = validateEvent(frame);
  return typed.ok && typed.value.type === 'user.activity';
}

const NEWLINE = 0x0a;
const text = (v: Buffer | string | null | undefined) => (v === null || v === undefined ? null : String(v));

/**
 * Writes the record's line (and its line break) into `out`; returns false, writing nothing,
 * for a record of an event topic that is no valid event.
 */
export function lakeLine(topic: LakeTopic, partition: number, message: KafkaMessage, out: LineBuffer): boolean {
  const head = `{"p":${partition},"o":${message.offset},"t":${message.timestamp},"v":`;
  const type = eventTypeOf(topic);
  if (!type) {
    const h = message.headers ?? {};
    const header = (name: string) => text(h[name] as Buffer | string | undefined);
    const int = (name: string) => {
      const v = header(name);
      return v !== null && /^\d+$/.test(v) ? Number(v) : null;
    };
    const fields = {
      key: text(message.key),
      value: text(message.value),
      reason: header('dlq-reason'),
      source_topic: header('dlq-source-topic'),
      source_partition: int('dlq-source-partition'),
      source_offset: int('dlq-source-offset'),
      worker: header('dlq-worker'),
      dead_lettered_at: header('dlq-at'),
    };
    out.ascii(head);
    out.utf8(`${JSON.stringify(fields)}}\n`);
    return true;
  }
  const value = message.value;
  if (!value) return false;
  if (!(type === 'user.activity' ? isValidActivity(message) : decodeEvent(message, type).ok)) return false;
  out.ascii(head);
  // one line per record: a value with a line break in it (pretty-printed JSON) is re-encoded
  const raw = value.indexOf(NEWLINE) === -1 ? value : Buffer.from(JSON.stringify(JSON.parse(value.toString('utf8'))));
  out.bytes(raw);
  if (keepsFrame(topic)) {
    out.ascii(',"f":');
    out.bytes(raw);
  }
  out.ascii('}\n');
  return true;
}

/** A fetched batch as the lines are written from it: offsets and timestamps as numbers, and its values' region. */
export interface LineBatch {
  /** Record i as kafkajs decodes it. */
  message(i: number): KafkaMessage;
  offsets: Float64Array;
  stamps: Float64Array;
  /** Where the values lie in one region (as a fetched batch's do), for the native check. */
  run: RecordRun | null;
}

/** The head of a line and its tail (`,"v":` … `}\n`) without the value: the room a line needs beyond it. */
const LINE_OVERHEAD = 22 + 3 * 16;

export interface LakeLines {
  /** Whether the native check reads this topic's records (else: why not). */
  native(topic: LakeTopic): { native: true } | { native: false; why: string };
  /**
   * The records of a fetched batch from offset `from` on: kafkajs's messages, or its record
   * batches undecoded (lib/kafka/record-batches.ts), read where they lie.
   */
  batch(topic: LakeTopic, messages: KafkaMessage[], from?: number): LineBatch;
  /**
   * Writes the lines of batch records from..to-1 into `out`, and stops once `stopAfter` bytes
   * are written: returns the record after the last one done.
   */
  write(topic: LakeTopic, partition: number, batch: LineBatch, from: number, to: number, out: LineBuffer, stopAfter: number): number;
}

/** Lines as lakeLine writes them, through the native check where it is built and `useNative`. */
export function lakeLines(useNative = true): LakeLines {
  const writers = new Map<LakeTopic, { writer: NativeLineWriter } | { writer: null; reason: string }>();
  const writerOf = (topic: LakeTopic) => {
    let w = writers.get(topic);
    if (!w) {
      const type = eventTypeOf(topic);
      w = !useNative ? { writer: null, reason: 'not asked for' } : !type ? { writer: null, reason: 'dead letters hold anything' } : nativeLineWriter(type);
      writers.set(topic, w);
    }
    return w.writer;
  };
  return {
    native(topic) {
      writerOf(topic);
      const w = writers.get(topic)!;
      return w.writer ? { native: true } : { native: false, why: w.reason };
    },
    batch(topic, fetched, from = 0) {
      if (fetched.length > 0 && isRecordBatch(fetched[0]!)) {
        const read = readRecords(fetched, from);
        if (read) {
          const { offsets, stamps, spans, region, message } = read;
          return { message, offsets, stamps, run: writerOf(topic) ? { bytes: region, spans, offsets, stamps } : null };
        }
      }
      const messages = fetched.some(isRecordBatch) ? decodeRecords(fetched, from) : fetched;
      const n = messages.length;
      const offsets = new Float64Array(n);
      const stamps = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        offsets[i] = Number(messages[i]!.offset);
        stamps[i] = Number(messages[i]!.timestamp);
      }
      let run: RecordRun | null = null;
      if (writerOf(topic)) {
        const values = new Array<Buffer | null>(n);
        for (let i = 0; i < n; i++) values[i] = messages[i]!.value;
        const region = frameRegion(values);
        if (region) run = { bytes: region.region, spans: region.spans, offsets, stamps };
      }
      return { message: (i) => messages[i]!, offsets, stamps, run };
    },
    write(topic, partition, batch, from, to, out, stopAfter) {
      const native = batch.run ? writerOf(topic) : null;
      let written = 0;
      let i = from;
      while (i < to && written < stopAfter) {
        if (native) {
          const spans = batch.run!.spans;
          const [block, at] = out.writable(LINE_OVERHEAD + spans[2 * i + 1]! - spans[2 * i]!);
          const r = native.write(batch.run!, i, to, partition, block, at, stopAfter - written);
          out.wrote(r.end - at);
          written += r.end - at;
          i = r.next;
          if (r.stop !== STOP.unproven) continue; // done, out of room (the next block is taken) or written enough
        }
        // record i is decided here
        const before = out.size;
        lakeLine(topic, partition, batch.message(i), out);
        written += out.size - before;
        i++;
      }
      return i;
    },
  };
}
