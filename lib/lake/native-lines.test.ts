import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../events/decode';
import { lakeLines } from './lake-lines';
import { LineBuffer } from './line-buffer';
import { buildNativeLines, classPattern, compileRules, nativeLineWriter } from './native-lines';

buildNativeLines(); // the tests' machines have the compiler (npm test's set-up builds it too)
const native = lakeLines(true);
const js = lakeLines(false);
const T = 1_764_770_000_000;

/** Messages whose values lie in one buffer, as a fetched batch's do (with record bytes between them). */
function fetched(values: (string | null)[], gap = 7): KafkaMessage[] {
  const parts: Buffer[] = [];
  const at: [number, number][] = [];
  let size = 0;
  for (const v of values) {
    const bytes = Buffer.from(v ?? '', 'utf8');
    parts.push(Buffer.alloc(gap, 0x2c), bytes);
    at.push([size + gap, size + gap + bytes.length]);
    size += gap + bytes.length;
  }
  const region = Buffer.concat(parts);
  return values.map((v, i) => ({
    key: null,
    value: v === null ? null : region.subarray(at[i]![0], at[i]![1]),
    offset: String(1000 + i),
    timestamp: String(T + i),
    attributes: 0,
    headers: {},
  }));
}

function linesOf(lines: typeof native, messages: KafkaMessage[], stopAfter = Number.POSITIVE_INFINITY, partition = 3) {
  const out = new LineBuffer();
  const batch = lines.batch('courierLocations', messages);
  const next = lines.write('courierLocations', partition, batch, 0, messages.length, out, stopAfter);
  return { next, text: Buffer.concat(out.blocks()).toString('utf8') };
}

const ping = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'courier.location', version: 1, eventId: 'evt-00000001', courierId: 'c-1', orderId: 'o:1', lat: -23.5, lng: -46.6, occurredAt: T, ...over });

describe('the native event check', () => {
  it('compiles the flat schemas (pings), and no others (order events have if/then and points; activity is open)', () => {
    expect(compileRules('courier.location')).not.toBeNull();
    expect(compileRules('order.event')).toBeNull();
    expect(compileRules('user.activity')).toBeNull();
    expect(nativeLineWriter('courier.location').writer).not.toBeNull();
    expect(native.native('courierLocations')).toEqual({ native: true });
    expect(native.native('orderEvents').native).toBe(false);
  });

  it('reads patterns of one character class only', () => {
    const p = classPattern('^[A-Za-z0-9_.:-]{1,64}$')!;
    const has = (c: string) => (p.map[c.charCodeAt(0) >> 3]! & (1 << (c.charCodeAt(0) & 7))) !== 0;
    expect([p.min, p.max]).toEqual([1, 64]);
    expect(['a', 'Z', '0', '_', '.', ':', '-'].every(has)).toBe(true);
    expect(['!', ' ', '/', '"'].some(has)).toBe(false);
    expect(classPattern('^[a-z]+$')).toMatchObject({ min: 1, max: Infinity });
    expect(classPattern('^[a-z]{2,3}x$')).toBeNull();
    expect(classPattern('^[\\w]+$')).toBeNull();
  });

  it('proves ordinary pings of both versions itself, and writes the lines the JavaScript path writes', () => {
    const values = [ping(), ping({ version: 2, batteryPct: 80, source: 'gps', headingDeg: 359.5, speedMps: 0, accuracyM: 12 }), ping({ lat: 90, lng: -180 })];
    const writer = nativeLineWriter('courier.location').writer!;
    const batch = native.batch('courierLocations', fetched(values));
    const out = Buffer.alloc(4096);
    const r = writer.write(batch.run!, 0, 3, 3, out, 0, Number.POSITIVE_INFINITY);
    expect(r).toMatchObject({ next: 3, stop: 0 }); // all three proven, none left to ajv
    expect(out.subarray(0, r.end).toString()).toBe(linesOf(js, fetched(values)).text);
    expect(linesOf(js, fetched(values)).text).toBe(values.map((v, i) => `{"p":3,"o":${1000 + i},"t":${T + i},"v":${v}}\n`).join(''));
  });

  it('decides as ajv at every bound of the schemas, in the simple case it proves', () => {
    const writer = nativeLineWriter('courier.location').writer!;
    const cases: Record<string, unknown[]> = {
      lat: [-90, 90, -90.0000001, 90.0000001, 0, -0.5, 89.99999999999999, 90.00000000000001, -90.00000000000001, -23.549990000000001, 1e-7],
      lng: [-180, 180, -180.5, 180.0000001],
      occurredAt: [1_000_000_000_000, 9_999_999_999_999, 999_999_999_999, 10_000_000_000_000, T + 0.5, 2 ** 53, 2 ** 53 + 2, 1e21],
      accuracyM: [0, 100_000, -0.1, 100_000.5],
      speedMps: [0, 100, 100.01, -1],
      headingDeg: [0, 359.999, 360, 360.5, -0.001, 359.99999999999994, 5e-324],
      eventId: ['abcdefgh', 'a'.repeat(64), 'abcdefg', 'a'.repeat(65), 'abc_efg-h', 'abc.efgh', 'abc efgh'],
      courierId: ['c', 'c'.repeat(64), '', 'c'.repeat(65), 'a.b:c_d-e', 'a/b'],
      orderId: ['o', 'o:1', 'o#1'],
      version: [1, 2, 3, 0],
      type: ['courier.location', 'order.event'],
    };
    const v2: Record<string, unknown[]> = { batteryPct: [0, 100, 101, -1, 50.5], source: ['gps', 'network', 'fused', 'GPS', 'wifi'] };
    let valid = 0;
    const check = (over: Record<string, unknown>) => {
      const value = ping(over);
      const messages = fetched([value]);
      const r = writer.write(native.batch('courierLocations', messages).run!, 0, 1, 0, Buffer.alloc(4096), 0, Number.POSITIVE_INFINITY);
      const ok = decodeEvent(messages[0]!, 'courier.location').ok;
      valid += ok ? 1 : 0;
      expect({ value, proven: r.next === 1 }).toEqual({ value, proven: ok });
    };
    for (const [field, values] of Object.entries(cases)) for (const x of values) check({ [field]: x });
    for (const [field, values] of Object.entries(v2)) for (const x of values) [1, 2].forEach((version) => check({ version, [field]: x }));
    expect(valid).toBeGreaterThan(20);
  });

  it('decides as ajv on numbers of many digits right at a bound (where a quick reading could round across it)', () => {
    const writer = nativeLineWriter('courier.location').writer!;
    const digits = fc.stringMatching(/^[0-9]{1,8}$/);
    const nearBound = fc.oneof(
      digits.map((d): [string, string] => ['lat', `90.00000000000000${d}`]),
      digits.map((d): [string, string] => ['lat', `89.9999999999999${d}`]),
      digits.map((d): [string, string] => ['lat', `-90.00000000000000${d}`]),
      digits.map((d): [string, string] => ['headingDeg', `359.99999999999999${d}`]),
      digits.map((d): [string, string] => ['headingDeg', `359.9999999999999${d}`]),
      digits.map((d): [string, string] => ['occurredAt', `999999999999${d}`]),
    );
    let decided = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(nearBound, ([field, text]) => {
        const value = ping({ [field]: 'NUMBER' }).replace('"NUMBER"', text);
        const messages = fetched([value]);
        const r = writer.write(native.batch('courierLocations', messages).run!, 0, 1, 0, Buffer.alloc(4096), 0, Number.POSITIVE_INFINITY);
        const ok = decodeEvent(messages[0]!, 'courier.location').ok;
        decided = ok ? { ...decided, valid: decided.valid + 1 } : { ...decided, invalid: decided.invalid + 1 };
        expect({ value, proven: r.next === 1 }).toEqual({ value, proven: ok });
      }),
      { numRuns: 5000 },
    );
    expect(decided.valid).toBeGreaterThan(500);
    expect(decided.invalid).toBeGreaterThan(500);
  });

  it('leaves every record it cannot prove to ajv: the lines equal the JavaScript path on any input', () => {
    const num = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer({ min: -200, max: 400 }).map(String),
      fc.constantFrom('90', '90.0000001', '-90', '-90.5', '180', '180.0', '360', '359.999', '0', '-0', '1e2', '1E-2', '01', '1.', '.5', '1e400', '100', '101', '1.0', '9999999999999', '10000000000000', '1000000000000', '999999999999', `${T}`, `${T}.0`, `${T}e0`, '"1"', 'true', 'null', '[1]', '{"a":1}'),
    );
    const str = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_.:-]{0,70}$/).map((s) => JSON.stringify(s)),
      fc.constantFrom('"courier.location"', '"order.event"', '"gps"', '"fused"', '"GPS"', '"evt-\\u0041bcdefg"', '"evt-é-000000"', '"evt 0000000"', '"evt-0000000"', '"evt-00000000"', '""', '"a\\"b"', '1', 'null'),
    );
    const names = ['type', 'version', 'eventId', 'courierId', 'orderId', 'lat', 'lng', 'occurredAt', 'accuracyM', 'speedMps', 'headingDeg', 'batteryPct', 'source', 'extra', 'Type'];
    const value = (name: string) =>
      ['type', 'eventId', 'courierId', 'orderId', 'source'].includes(name)
        ? fc.oneof({ arbitrary: str, weight: 4 }, { arbitrary: num, weight: 1 })
        : name === 'version'
          ? fc.constantFrom('1', '2', '3', '1.0', '"1"', '0')
          : fc.oneof({ arbitrary: num, weight: 4 }, { arbitrary: str, weight: 1 });
    const space = fc.constantFrom('', '', '', ' ', '\t', '\n', '\r\n', '  ');
    // a ping's fields, some changed, dropped, doubled or added, laid out with any spacing
    const record = fc
      .tuple(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.nat()), { maxLength: 4 }),
        fc.array(fc.constantFrom(...names), { maxLength: 3 }),
        fc.array(space, { minLength: 8, maxLength: 8 }),
        fc.constantFrom('', '', '', 'x', ',', '}', ' '),
      )
      .chain(([changes, dropped, spaces, trailer]) => {
        const base: [string, string][] = Object.entries(JSON.parse(ping(changes.length % 2 ? { version: 2, batteryPct: 50, source: 'network' } : {}))).map(([k, v]) => [k, JSON.stringify(v)]);
        return fc.tuple(...changes.map(([n]) => value(n))).map((vals) => {
          let fields = base.filter(([k]) => !dropped.includes(k));
          changes.forEach(([n, dup], i) => {
            if (dup % 3 === 0 || !fields.some(([k]) => k === n)) fields.push([n, vals[i]!]);
            else fields = fields.map(([k, v]) => (k === n ? [k, vals[i]!] : [k, v]));
          });
          const s = (i: number) => spaces[i % spaces.length]!;
          return `${s(0)}{${s(1)}${fields.map(([k, v], i) => `"${k}"${s(i + 2)}:${s(i + 3)}${v}`).join(`,${s(4)}`)}${s(5)}}${s(6)}${trailer}`;
        });
      });
    const batch = fc.array(fc.oneof({ arbitrary: record, weight: 10 }, { arbitrary: fc.constant(null), weight: 1 }, { arbitrary: fc.string(), weight: 1 }), { minLength: 1, maxLength: 12 });
    let proven = 0;
    let unproven = 0;
    fc.assert(
      fc.property(batch, fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 800 })), (values, stopAfter) => {
        const messages = fetched(values);
        const a = linesOf(native, messages, stopAfter);
        const b = linesOf(js, messages, stopAfter);
        expect(a).toEqual(b);
        // every line is of a record ajv accepts
        for (const line of a.text.split('\n').filter(Boolean)) {
          const offset = (JSON.parse(line) as { o: number }).o;
          expect(decodeEvent(messages[offset - 1000]!, 'courier.location').ok).toBe(true);
        }
        for (const m of messages) if (decodeEvent(m, 'courier.location').ok) proven++;
        else unproven++;
      }),
      { numRuns: 3000 },
    );
    // the generator makes both kinds in earnest
    expect(proven).toBeGreaterThan(1000);
    expect(unproven).toBeGreaterThan(1000);
  });

  it('takes a new block when a line does not fit, and stops once enough bytes are written', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => ping({ eventId: `evt-${String(i).padStart(8, '0')}` }));
    const a = linesOf(native, fetched(values));
    expect(a.next).toBe(20_000);
    expect(a).toEqual(linesOf(js, fetched(values)));
    expect(a.text.length).toBeGreaterThan(1 << 21); // more than two of its blocks
    const partial = linesOf(native, fetched(values), 10_000);
    expect(partial).toEqual(linesOf(js, fetched(values), 10_000));
    expect(partial.next).toBeLessThan(100);
  });
});

describe('line blocks', () => {
  it('are given back once written and taken again, and a released buffer starts afresh', async () => {
    const { LineBuffer: Lines } = await import('./line-buffer');
    const a = new Lines();
    a.ascii('x'.repeat(10));
    const [block] = a.writable(1);
    a.release();
    a.release(); // a second release gives nothing back twice
    const b = new Lines();
    const c = new Lines();
    expect(b.writable(1)[0].buffer === block.buffer || c.writable(1)[0].buffer === block.buffer).toBe(true);
    expect(b.writable(1)[0].buffer).not.toBe(c.writable(1)[0].buffer);
    a.ascii('yz'); // after release: a block of its own
    expect(Buffer.concat(a.blocks()).toString()).toBe('yz');
    expect(a.writable(1)[0].buffer).not.toBe(b.writable(1)[0].buffer);
    expect(a.writable(1)[0].buffer).not.toBe(c.writable(1)[0].buffer);
  });

  it('spill full blocks to their file, keeping one block of memory, and give back all they were given', async () => {
    const { LineBuffer: Lines } = await import('./line-buffer');
    const { mkdtempSync, readFileSync, existsSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lines-'));
    try {
      const spill = join(dir, 'hour=01', 'x.tmp');
      const lines = new Lines(spill);
      const chunks: Buffer[] = [];
      // ~9 MiB: more blocks than are written in the background at once
      for (let i = 0; i < 20_000; i++) {
        const line = Buffer.from(`{"i":${i},"pad":"${'p'.repeat(i % 900)}"}\n`);
        chunks.push(line);
        if (i % 2) lines.bytes(line);
        else lines.utf8(line.toString());
      }
      const everything = Buffer.concat(chunks);
      expect(lines.size).toBe(everything.length);
      expect(lines.blocks().length).toBe(1); // one block held: the rest is in the file
      const head = (await lines.spilled())!;
      expect(Buffer.concat([readFileSync(head), ...lines.blocks()]).equals(everything)).toBe(true);
      await lines.discard();
      expect(existsSync(spill)).toBe(false);
      const small = new Lines(join(dir, 'never.tmp'));
      small.ascii('a\n');
      expect(await small.spilled()).toBeNull();
      expect(existsSync(join(dir, 'never.tmp'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lines from undecoded record batches', () => {
  it('are the lines of the same records decoded by kafkajs, through the native check and ajv alike', async () => {
    const { bothWays, recordSet } = await import('../kafka/record-batch-fixtures');
    const { isRecordBatch } = await import('../kafka/record-batches');
    const value = fc.oneof(
      fc.constant(null),
      fc.constant(''),
      fc.constant('not json'),
      fc.integer({ min: -100, max: 200 }).map((lat) => ping({ lat })),
      fc.integer({ min: 0, max: 120 }).map((n) => ping({ version: 2, batteryPct: n, source: 'gps' })),
      fc.constant(JSON.stringify(JSON.parse(ping()), null, 2)), // a line break inside: re-encoded
      fc.string({ maxLength: 12 }).map((id) => ping({ courierId: id })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(value, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.nat({ max: 30 }), async (batches, compressLast, fromAt) => {
        let base = 5000;
        const set = await recordSet(
          batches.map((values, b) => {
            const batch = { base, stamp: T + b * 1000, compressed: compressLast && b === batches.length - 1 && b > 0, records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: v === null ? null : Buffer.from(v), headers: {} })) };
            base += values.length;
            return batch;
          }),
        );
        const { decoded, got } = await bothWays(set);
        expect(got.some(isRecordBatch)).toBe(true);
        const from = Number(decoded[Math.min(fromAt, decoded.length - 1)]!.offset);
        const linesFrom = (lines: typeof native, messages: KafkaMessage[], start: number) => {
          const out = new LineBuffer();
          const batch = lines.batch('courierLocations', messages, start);
          const next = lines.write('courierLocations', 2, batch, 0, batch.offsets.length, out, Number.POSITIVE_INFINITY);
          return { next, text: Buffer.concat(out.blocks()).toString('utf8') };
        };
        const want = linesFrom(js, decoded.filter((m) => Number(m.offset) >= from), 0);
        expect(linesFrom(native, got, from)).toEqual(want);
        expect(linesFrom(js, got, from)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});
