import { describe, expect, it } from 'vitest';
import { activityFrames } from './activity-generator';
import { classifier } from './classify-activity';
import { packFrames, readBatch } from './read-batch';
import { referenceUidTs } from './read-uid-ts';

describe('readBatch', () => {
  it('classifies packed frames as the classifier does over JSON.parse, and names the poison', () => {
    const frames = [...activityFrames({ seed: 3, users: 50, frames: 400, startSec: 1_800_000_000, ratePerSec: 2, disorderSec: 3, lateFraction: 0.05, lateBySec: 120 })].map((f) => f.text);
    frames.splice(7, 0, '{"uid":"x"'); // not JSON
    frames.splice(20, 0, '{"ts":1800000000}'); // no uid
    const values: (Uint8Array | null)[] = frames.map((t) => Buffer.from(t));
    values.splice(30, 0, null); // a message without a value
    const { bytes, ends } = packFrames(values);
    const result = readBatch(bytes, ends, 1_800_000_010, 5);

    const reference = classifier(1_800_000_010, 5);
    for (const v of values) {
      const frame = v ? referenceUidTs(Buffer.from(v).toString('utf8')) : null;
      if (frame) reference.add(frame.uid, frame.ts);
    }
    expect(result).toEqual({ groups: reference.groups(), watermark: reference.watermark, poison: [7, 20, 30] });
  });
});
