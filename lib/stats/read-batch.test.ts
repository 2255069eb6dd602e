import { describe, expect, it } from 'vitest';
import { activityFrames } from './activity-generator';
import { classifier } from './classify-activity';
import { buildNativeScan, loadNativeScan } from './native-uid-ts';
import { frameRegion, packFrames, readBatch } from './read-batch';
import { referenceUidTs } from './read-uid-ts';

buildNativeScan();
const native = loadNativeScan().scan;

describe('readBatch', () => {
  it.each([
    ['the JavaScript reader', null],
    ['the native scan', native],
  ])('classifies packed frames as the classifier does over JSON.parse, and names the poison (%s)', (_name, scan) => {
    expect(native).not.toBeNull();
    const frames = [...activityFrames({ seed: 3, users: 50, frames: 400, startSec: 1_800_000_000, ratePerSec: 2, disorderSec: 3, lateFraction: 0.05, lateBySec: 120 })].map((f) => f.text);
    frames.splice(7, 0, '{"uid":"x"'); // not JSON
    frames.splice(20, 0, '{"ts":1800000000}'); // no uid
    const values: (Uint8Array | null)[] = frames.map((t) => Buffer.from(t));
    values.splice(30, 0, null); // a message without a value
    const { bytes, spans } = packFrames(values);
    const recordTs = new Float64Array(values.length).fill(1_800_000_000_000);
    const result = readBatch({ bytes }, spans, { watermark: 1_800_000_010, allowedLatenessSec: 5, futureToleranceSec: 30, recordTs }, scan);

    const reference = classifier(1_800_000_010, 5, 30);
    for (const v of values) {
      const frame = v ? referenceUidTs(Buffer.from(v).toString('utf8')) : null;
      if (frame) reference.add(frame.uid, frame.ts, 1_800_000_000_000);
    }
    // the stream runs past its records' time plus the tolerance: some frames are from the future
    expect(reference.groups().some((g) => g.future > 0)).toBe(true);
    expect(result).toEqual({ groups: reference.groups(), watermark: reference.watermark, poison: [7, 20, 30] });
  });

  it('reads by address (the native scan on fetched bytes the main thread holds) as it reads a copy', () => {
    const texts = [...activityFrames({ seed: 5, users: 30, frames: 300, startSec: 1_800_000_000, ratePerSec: 3, disorderSec: 3, lateFraction: 0.05, lateBySec: 120 })].map((f) => f.text);
    texts.splice(3, 0, '{"uid":"a","ts":1800000000,"x":' + '['.repeat(80) + ']'.repeat(80) + '}'); // unsure: JSON.parse decides
    texts.splice(9, 0, `{"uid":"${'u'.repeat(3 << 20)}","ts":1800000000}`); // 3 MiB of uid: past the copy buffer, which grows
    texts.splice(12, 0, '{"uid":"b","ts":1800000001,"pad":"' + 'é'.repeat(40) + '"} x'); // trailing bytes
    // as kafkajs hands them over: slices of one fetched buffer, record headers between them
    const fetched = Buffer.from(texts.map((t) => `hdr${t}`).join(''));
    const values: Buffer[] = [];
    let at = 0;
    for (const t of texts) {
      const n = Buffer.byteLength(t);
      values.push(fetched.subarray(at + 3, at + 3 + n));
      at += 3 + n;
    }
    const inOne = frameRegion(values)!;
    const options = { watermark: 1_800_000_010, allowedLatenessSec: 5, futureToleranceSec: Infinity };
    const byAddress = readBatch({ address: native!.address(inOne.region), length: inOne.region.length }, inOne.spans, options, native);
    const packed = packFrames(values);
    expect(byAddress).toEqual(readBatch({ bytes: packed.bytes }, packed.spans, options, null));
    expect(byAddress.poison).toEqual([9, 12]);
    expect(() => readBatch({ address: 1n, length: 1 }, inOne.spans, options, null)).toThrow(/native/);
  });

  it('packs the values of one buffer as one span, and values of several one by one', () => {
    const fetched = Buffer.from('..{"uid":"a","ts":1}...{"uid":"b","ts":2}.');
    const a = fetched.subarray(2, 20);
    const b = fetched.subarray(23, 41);
    const elsewhere = Buffer.from('{"uid":"c","ts":3}');
    for (const values of [[a, null, b], [a, elsewhere, b], [b, a]]) {
      const { bytes, spans } = packFrames(values);
      const frames = values.map((_, i) => Buffer.from(bytes.subarray(spans[2 * i]!, spans[2 * i + 1]!)).toString());
      expect(frames).toEqual(values.map((v) => v?.toString() ?? ''));
    }
    expect(packFrames([a, null, b]).bytes.length).toBe(39); // the span from a to b, headers between
    expect(packFrames([a, elsewhere, b]).bytes.length).toBe(54); // value by value
  });
});
