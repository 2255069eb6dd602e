import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type HeldFrames, holdBatch } from './held-batch';

// Messages as kafkajs decodes a fetch: keys and values are views of the one response buffer.
function fetched(records: { key: string | null; value: string | null; headers?: KafkaMessage['headers'] }[], firstOffset = 40): KafkaMessage[] {
  const response = Buffer.alloc(4096);
  let at = 7;
  const view = (text: string | null) => {
    if (text === null) return null;
    const n = response.write(text, at);
    const v = response.subarray(at, at + n);
    at += n + 5; // a record header's worth of bytes between them
    return v;
  };
  return records.map((r, i) => ({ key: view(r.key), value: view(r.value), headers: r.headers ?? {}, offset: String(firstOffset + i), timestamp: '0', attributes: 0 }) as KafkaMessage);
}

const framesOf = (frames: HeldFrames) =>
  'region' in frames
    ? Array.from({ length: frames.spans.length / 2 }, (_, i) => Buffer.from(frames.region.subarray(frames.spans[2 * i]!, frames.spans[2 * i + 1]!)).toString())
    : frames.values.map((v) => (v ? Buffer.from(v).toString() : ''));

const asDeadLetter = (m: KafkaMessage) => ({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers: m.headers, offset: m.offset });

describe('holdBatch', () => {
  it('keeps a fetched batch as a region, offsets and keys, and gives back its frames and messages', () => {
    const messages = fetched([
      { key: 'u1', value: '{"uid":"u1"}' },
      { key: null, value: '{"uid":"u2"}' },
      { key: 'u3', value: null },
      { key: 'u4', value: '' },
    ]);
    const held = holdBatch(messages);
    expect(held.count).toBe(4);
    expect([0, 1, 2, 3].map((i) => held.offset(i))).toEqual([40, 41, 42, 43]);
    const all = held.frames(0);
    expect('region' in all).toBe(true);
    expect(framesOf(all)).toEqual(['{"uid":"u1"}', '{"uid":"u2"}', '', '']);
    expect(framesOf(held.frames(1))).toEqual(['{"uid":"u2"}', '', '']);
    expect([0, 1, 2, 3].map((i) => asDeadLetter(held.message(i)))).toEqual(messages.map(asDeadLetter));
  });

  it('keeps the messages themselves when one has headers or the values lie in several buffers', () => {
    const withHeaders = fetched([{ key: 'a', value: '1' }, { key: 'b', value: '2', headers: { trace: 'x' } }]);
    const spread = fetched([{ key: 'a', value: '1' }]).concat(fetched([{ key: 'b', value: '2' }], 41));
    for (const messages of [withHeaders, spread]) {
      const held = holdBatch(messages);
      expect(held.message(1)).toBe(messages[1]);
      expect(held.frames(1)).toEqual({ values: [messages[1]!.value] });
    }
  });
});
