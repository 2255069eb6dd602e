// Record batches handed over undecoded, against kafkajs's own decoding of the same bytes:
// batches made by kafkajs's encoder (plain, compressed, transactional, log-append-time, with
// gaps in their offsets and a partial batch at the end), read both ways.
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type TestBatch, type TestRecord, bothWays as decodedBothWays, decodeMessages, encode, installed, KafkaDecoder, recordSet } from './record-batch-fixtures';
import { RecordBatchMessage, decodeRecords, isRecordBatch, readRecords } from './record-batches';

/** What a reader sees of a record. */
const view = (m: KafkaMessage) => ({ offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headers });

async function bothWays(set: Buffer) {
  const { decoded, got } = await decodedBothWays(set);
  return { expected: decoded.map(view), got };
}

const bytes = (s: string) => Buffer.from(s);
const rec = (offsetDelta: number, value: string | null, more: Partial<TestRecord> = {}): TestRecord => ({
  offsetDelta,
  timestampDelta: offsetDelta * 7,
  key: bytes(`k${offsetDelta}`),
  value: value === null ? null : bytes(value),
  headers: {},
  ...more,
});

describe('undecoded record batches', () => {
  it('are installed here (kafkajs 2.2.4, nothing fetched yet)', () => {
    expect(installed).toEqual({ ok: true });
  });

  it('come as one message per plain batch, the rest as kafkajs decodes them, and read back to the same records', async () => {
    const T = 1_796_000_000_000;
    const set = await recordSet(
      [
        { base: 100, stamp: T, records: [rec(0, '{"a":1}'), rec(1, null, { key: null }), rec(2, '', { headers: { h: bytes('x'), dup: [bytes('1'), bytes('2')] } })] },
        { base: 103, stamp: T + 50, compressed: true, records: [rec(0, '{"gz":1}'), rec(1, '{"gz":2}')] },
        { base: 105, stamp: T + 90, records: [rec(0, 'p'), rec(3, 'q'), rec(4, 'r')] }, // offsets 106, 107 compacted away
        { base: 110, stamp: T + 99, transactional: true, records: [rec(0, '{"tx":1}')] },
        { base: 111, stamp: T + 120, logAppendTime: true, records: [rec(0, 'la'), rec(1, 'lb', { timestampDelta: 5 })] },
      ],
      { base: 113, stamp: T + 200, records: [rec(0, 'cut off')] },
    );
    const { expected, got } = await bothWays(set);
    expect(got.map((m) => isRecordBatch(m))).toEqual([true, false, false, true, false, true]);
    expect(got.filter(isRecordBatch).map((m) => m.offset)).toEqual(['102', '109', '112']); // each batch's last offset
    expect(decodeRecords(got).map(view)).toEqual(expected);
    expect(expected.map((m) => m.offset)).toEqual(['100', '101', '102', '103', '104', '105', '108', '109', '110', '111', '112']);
    // from an offset inside a batch: the records before it are not read
    expect(decodeRecords(got, 104).map(view)).toEqual(expected.filter((m) => Number(m.offset) >= 104));
  });

  it('read into arrays: offsets, timestamps and values where they lie', async () => {
    const T = 1_796_000_000_000;
    const batches: TestBatch[] = [
      { base: 0, stamp: T, records: [rec(0, 'zero'), rec(1, null), rec(2, 'two')] },
      { base: 3, stamp: T + 1000, logAppendTime: true, records: [rec(0, 'three'), rec(1, 'four')] },
    ];
    const { expected, got } = await bothWays(await recordSet(batches));
    const read = readRecords(got, 1)!;
    const want = expected.filter((m) => Number(m.offset) >= 1);
    expect([...read.offsets]).toEqual(want.map((m) => Number(m.offset)));
    expect([...read.stamps]).toEqual(want.map((m) => Number(m.timestamp)));
    const values = want.map((_, i) => Buffer.from(read.region.subarray(read.spans[2 * i]!, read.spans[2 * i + 1]!)).toString());
    expect(values).toEqual(want.map((m) => m.value?.toString() ?? ''));
    expect(want.map((_, i) => view(read.message(i)))).toEqual(want);
    // not all plain batches of one response: not read this way
    expect(readRecords([...got, { offset: '9', value: Buffer.from('x') } as unknown as KafkaMessage])).toBeNull();
  });

  it('read any batches as kafkajs does (property)', async () => {
    const header = fc.record({ name: fc.constantFrom('a', 'b', 'dlq-reason'), value: fc.uint8Array({ maxLength: 20 }) });
    const record = fc.record({
      gap: fc.nat({ max: 3 }),
      timestampDelta: fc.integer({ min: 0, max: 2 ** 40 }),
      key: fc.option(fc.uint8Array({ maxLength: 30 })),
      value: fc.option(fc.uint8Array({ maxLength: 300 })),
      headers: fc.array(header, { maxLength: 4 }),
    });
    const batch = fc.record({
      records: fc.array(record, { minLength: 1, maxLength: 30 }),
      compressed: fc.boolean(),
      logAppendTime: fc.boolean(),
      gapBefore: fc.nat({ max: 1000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.nat({ max: 50 }), async (shapes, partial, fromAt) => {
        let base = 2 ** 33; // offsets past 32 bits
        const batches: TestBatch[] = shapes.map((s) => {
          let delta = -1;
          const records = s.records.map((r) => {
            delta += 1 + r.gap;
            const headers: Record<string, Buffer | Buffer[]> = {};
            for (const h of r.headers) {
              const had = headers[h.name];
              const v = Buffer.from(h.value);
              headers[h.name] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
            }
            return { offsetDelta: delta, timestampDelta: r.timestampDelta, key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value), headers };
          });
          const b = { base: base + s.gapBefore, stamp: 1_700_000_000_000, records, compressed: s.compressed, logAppendTime: s.logAppendTime };
          base = b.base + delta + 1;
          return b;
        });
        const set = await recordSet(batches, partial ? batches[0] : undefined);
        const { expected, got } = await bothWays(set);
        const from = expected.length > 0 ? Number(expected[Math.min(fromAt, expected.length - 1)]!.offset) : 0;
        expect(decodeRecords(got, from).map(view)).toEqual(expected.filter((m) => Number(m.offset) >= from));
        if (got.every(isRecordBatch)) {
          const read = readRecords(got, from)!;
          expect(Array.from(read.offsets.keys(), (i) => view(read.message(i)))).toEqual(expected.filter((m) => Number(m.offset) >= from));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leave every unmarked response to kafkajs', async () => {
    const set = await recordSet([{ base: 5, stamp: 1, records: [rec(0, 'a'), rec(1, 'b')] }]);
    const got = await decodeMessages(new KafkaDecoder(set));
    expect(got.some(isRecordBatch)).toBe(false);
    expect(got.map((m) => m.value?.toString())).toEqual(['a', 'b']);
    expect(new RecordBatchMessage((await encode({ base: 7, stamp: 3, records: [rec(0, 'x'), rec(2, 'y', { timestampDelta: 9 })] })))).toMatchObject({ offset: '9', timestamp: '12' });
  });
  it("pass kafkajs's consumer batch, aborted transactions listed or not, as messages ending at their batch's last offset", async () => {
    const { createRequire } = await import('node:module');
    const Batch = createRequire(import.meta.url)('kafkajs/src/consumer/batch.js') as new (topic: string, fetched: string, data: object) => { messages: KafkaMessage[]; lastOffset(): string };
    const { got } = await bothWays(await recordSet([{ base: 10, stamp: 1, records: [rec(0, 'a'), rec(1, 'b')] }, { base: 12, stamp: 2, records: [rec(0, 'c')] }]));
    for (const abortedTransactions of [[], [{ producerId: '7', firstOffset: '11' }]]) {
      const batch = new Batch('t', '11', { partition: 0, highWatermark: '13', messages: got, abortedTransactions });
      expect(batch.messages.map((m) => m.offset)).toEqual(['11', '12']);
      expect(batch.lastOffset()).toBe('12');
    }
    // a batch wholly before the offset fetched is dropped
    expect(new Batch('t', '12', { partition: 0, highWatermark: '13', messages: got, abortedTransactions: [] }).messages.map((m) => m.offset)).toEqual(['12']);
  });
});
