// A Kafka record as one line for the Parquet writer: {"p":partition,"o":offset,"t":timestamp,
// "v":event}. An event topic's record goes in only if it is a valid event (the workers
// dead-letter the rest, and the dead letters are archived with their reasons); its bytes
// are copied, not re-encoded (line-buffer.ts). A dead letter's key, value and headers become its fields.
import type { KafkaMessage } from 'kafkajs';
import { decodeEvent } from '../events/decode';
import { schemaId } from '../events/registry';
import { tooDeepAt, validateEvent, validatorFor } from '../events/validate';
import { type LakeTopic, eventTypeOf, keepsFrame } from './lake-schema';
import type { LineBuffer } from './line-buffer';

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
