import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLOTS_PER_FRAME, STATUS, buildNativeScan, loadNativeScan } from './native-uid-ts';
import { UNSURE, type UidTs, decodeFrame, readUidTs, referenceUidTs, uidTsAt, uidTsOf } from './read-uid-ts';

const enc = (text: string) => Buffer.from(text, 'utf8');

// The native scan is built here if it is not yet (it needs a C compiler, as `npm test` ensures).
buildNativeScan();
const loaded = loadNativeScan();
if (!loaded.scan) throw new Error(`the native scan does not load: ${'reason' in loaded ? loaded.reason : ''}`);
const native = loaded.scan;

/** One frame through the native scan, read as readBatch reads it. */
function readNative(bytes: Uint8Array): UidTs | null | typeof UNSURE {
  const out = new Int32Array(SLOTS_PER_FRAME);
  native.scan(bytes, Uint32Array.of(0, bytes.length), out);
  if (out[0] === STATUS.UNSURE) return UNSURE;
  return out[0] === STATUS.OK ? uidTsAt(bytes, out[1]!, out[2]!, out[3]!, out[4]!) : null;
}

const readers = { js: readUidTs, native: readNative };
type Reader = keyof typeof readers;

/** Both fast readers agree with JSON.parse, or say they are unsure; the verdict of `which`. */
function agrees(bytes: Uint8Array, which: Reader = 'js'): 'fast' | 'unsure' {
  const reference = referenceUidTs(decodeFrame(bytes));
  let verdict: 'fast' | 'unsure' = 'fast';
  for (const name of Object.keys(readers) as Reader[]) {
    const fast = readers[name](bytes);
    if (fast === UNSURE) {
      if (name === which) verdict = 'unsure';
      continue;
    }
    expect(fast, `${name} reader`).toEqual(reference);
  }
  return verdict;
}

const text = fc.string({ unit: fc.constantFrom('a', 'z', '0', ' ', '"', '\\', '\n', '\u0001', 'é', '漢', '😀', '\ufeff', '/', 'u'), maxLength: 12 });
const uid = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,20}$/), text, fc.integer(), fc.constant(null), fc.constant(''));
const ts = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000_000 }),
  fc.double({ min: 0, max: 2e9, noNaN: true }),
  fc.integer({ min: 0, max: 2_000_000_000 }).map(String),
  fc.constantFrom('1700000000.5', '-1', '1e9', 'yesterday', '', 1e12, -5, true),
);
const filler = fc.dictionary(fc.oneof(text, fc.constantFrom('uid', 'ts', 'page', 'ua')), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
const frame = fc
  .tuple(uid, ts, filler, fc.boolean(), fc.boolean(), fc.constantFrom(undefined, 0, 1, 2, '\t'))
  .map(([u, t, rest, uidFirst, withTs, indent]) => {
    const base: Record<string, unknown> = { ...rest };
    delete base.uid;
    delete base.ts;
    const ordered = uidFirst ? { uid: u, ...base, ...(withTs ? { ts: t } : {}) } : { ...(withTs ? { ts: t } : {}), ...base, uid: u };
    return JSON.stringify(ordered, null, indent);
  });

describe('readUidTs', () => {
  it('reads well-formed frames, with nested uid and ts keys ignored', () => {
    expect(uidTsOf(enc('{"page":{"uid":"x","ts":1},"ts":"1700000000","uid":"u-1","list":[{"uid":2}]}'))).toEqual({ uid: 'u-1', ts: 1_700_000_000 });
    expect(uidTsOf(enc(' {"uid" : "ü漢😀", "ts" : 1.7e9 } '))).toEqual({ uid: 'ü漢😀', ts: 1.7e9 });
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    expect(uidTsOf(enc('{"uid":"a","ts":1,"uid":"b"}'))).toEqual({ uid: 'b', ts: 1 });
    expect(uidTsOf(enc('{"uid":"a","ts":1,"uid":7}'))).toBeNull();
  });

  it.each([
    ['not JSON', 'uid=a'],
    ['truncated', '{"uid":"a","ts":1'],
    ['trailing garbage', '{"uid":"a","ts":1} x'],
    ['a bad value deep inside', '{"uid":"a","ts":1,"x":[1,,2]}'],
    ['an array', '[{"uid":"a","ts":1}]'],
    ['no ts', '{"uid":"a"}'],
    ['a ts out of range', '{"uid":"a","ts":-1}'],
    ['a ts that is not numeric', '{"uid":"a","ts":"soon"}'],
    ['a leading byte-order mark', '\ufeff{"uid":"a","ts":1}'],
  ])('refuses %s', (_name, input) => {
    expect(readUidTs(enc(input))).toBeNull();
    expect(referenceUidTs(decodeFrame(enc(input)))).toBeNull();
  });

  it('decodes escaped keys and values exactly', () => {
    expect(readUidTs(enc('{"\\u0075id":"a","ts":1}'))).toEqual({ uid: 'a', ts: 1 });
    expect(readUidTs(enc('{"uid":"a\\"b\\u00e9","t\\u0073":"17"}'))).toEqual({ uid: 'a"bé', ts: 17 });
  });

  it.each(['js', 'native'] as const)('agrees with JSON.parse on generated frames, and is rarely unsure (%s)', (which) => {
    let unsure = 0;
    let runs = 0;
    fc.assert(
      fc.property(frame, (f) => {
        runs++;
        if (agrees(enc(f), which) === 'unsure') unsure++;
      }),
      { numRuns: 3000 },
    );
    expect(unsure / runs).toBe(0); // only very deep nesting makes it unsure
  });

  it('agrees with JSON.parse on hostile input: mutated frames, random JSON, random bytes', () => {
    const mutated = fc.tuple(frame, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('cut', 'flip', 'insert', 'dup', 'append')).map(([f, at, byte, how]) => {
      const b = enc(f);
      const i = b.length === 0 ? 0 : at % b.length;
      if (how === 'cut') return b.subarray(0, i);
      if (how === 'flip') return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i + 1)]);
      if (how === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      if (how === 'dup') return enc(f.replace(/}\s*$/, `,"uid":${JSON.stringify(String(byte))}}`));
      return Buffer.concat([b, Buffer.from([byte])]);
    });
    fc.assert(fc.property(mutated, (b) => void agrees(b)), { numRuns: 5000 });
    fc.assert(fc.property(fc.json(), (j) => void agrees(enc(j))), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void agrees(b)), { numRuns: 2000 });
  });

  it('agrees with JSON.parse on long strings at any alignment, with any byte changed (the word-at-a-time scan)', () => {
    const unit = fc.oneof({ arbitrary: fc.constant('x'), weight: 40 }, fc.constantFrom('"', '\\', '\n', '\u0001', '\u001f', ' ', '~', '\u007f', 'é', '😀'));
    const long = fc.string({ unit, minLength: 16, maxLength: 160 });
    const framed = fc.tuple(long, long, fc.nat(7), fc.nat(170), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([pad, note, offset, at, byte, change]) => {
      const bytes = enc(JSON.stringify({ pad, uid: note.slice(0, 20), ts: 1_700_000_000, note }));
      if (change) bytes[at % bytes.length] = byte; // mostly inside the pad, which starts at byte 8
      const host = new Uint8Array(bytes.length + 8);
      host.set(bytes, offset);
      return host.subarray(offset, offset + bytes.length);
    });
    fc.assert(fc.property(framed, (b) => void agrees(b)), { numRuns: 5000 });
  });

  it('reads a huge ts, string or number, without throwing', () => {
    for (const ts of [`"${'1'.repeat(200_000)}"`, '1'.repeat(200_000)]) expect(agrees(enc(`{"uid":"a","ts":${ts}}`))).toBe('fast');
  });

  it('gives up on very deep nesting rather than recursing without bound', () => {
    const deep = `{"uid":"a","ts":1,"x":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(readUidTs(enc(deep))).toBe(UNSURE);
    expect(readNative(enc(deep))).toBe(UNSURE);
    expect(uidTsOf(enc(deep))).toEqual({ uid: 'a', ts: 1 });
  });

  it('native: decodes escaped root keys and values exactly', () => {
    expect(readNative(enc('{"\\u0075id":"a","t\\u0073":1}'))).toEqual({ uid: 'a', ts: 1 });
    expect(readNative(enc('{"uid":"a","ts":1,"u\\/id":"b","\\u0055id":"c","uid\\u0000":"d","ts\\n":5}'))).toEqual({ uid: 'a', ts: 1 });
    expect(readNative(enc('{"uid":"a\\"b\\u00e9","ts":"17"}'))).toEqual({ uid: 'a"bé', ts: 17 });
    expect(readNative(enc('{"uid":"a","ts":1,"x":{"\\u0075id":"b"}}'))).toEqual({ uid: 'a', ts: 1 });
  });

  it('native: checks every span of a batch, and refuses spans outside the bytes', () => {
    const frames = ['{"uid":"a","ts":1}', 'nope', '', '{"ts":2,"uid":"b"}'].map(enc);
    const bytes = Buffer.concat(frames);
    const spans = new Uint32Array(frames.length * 2);
    frames.reduce((at, f, i) => ((spans[2 * i] = at), (spans[2 * i + 1] = at + f.length)), 0);
    const out = new Int32Array(SLOTS_PER_FRAME * frames.length);
    native.scan(bytes, spans, out);
    expect([...out]).toEqual([STATUS.OK, 7, 10, 16, 17, STATUS.INVALID, -1, -1, -1, -1, STATUS.INVALID, -1, -1, -1, -1, STATUS.OK, 36, 39, 28, 29]);
    expect(() => native.scan(bytes, Uint32Array.of(0, bytes.length + 1), out)).toThrow(RangeError);
    expect(() => native.scan(bytes, Uint32Array.of(5, 4), out)).toThrow(RangeError);
    expect(() => native.scan(bytes, spans, new Int32Array(4))).toThrow(RangeError);
    expect(() => native.scan(bytes, new Int32Array(2) as unknown as Uint32Array, out)).toThrow(TypeError);
  });
});
