import { describe, expect, it } from 'vitest';
import { type LaneBatch, partitionLanes } from './partition-lanes';

const batch = (partition: number, from: number, next: number): LaneBatch => ({ partition, from: String(from), next: String(next) });
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A lane whose applies finish only when the test says so. */
function gated(depth = 2) {
  const applied: string[] = [];
  const failures: string[] = [];
  const gates: { batch: LaneBatch; open: () => void; fail: (err: Error) => void }[] = [];
  const lanes = partitionLanes<LaneBatch>({
    depth,
    apply: (b) =>
      new Promise<void>((resolve, reject) => {
        gates.push({
          batch: b,
          open: () => {
            applied.push(`${b.partition}:${b.from}`);
            resolve();
          },
          fail: reject,
        });
      }),
    failed: (b, err) => failures.push(`${b.partition}:${b.from} ${(err as Error).message}`),
    backoffMs: () => 0,
  });
  return { lanes, applied, failures, gates };
}

describe('partitionLanes', () => {
  it('applies a partition’s batches one at a time, in order, and partitions side by side', async () => {
    const { lanes, applied, gates } = gated(3);
    expect(await lanes.hand(batch(0, 0, 10))).toBe(true);
    expect(await lanes.hand(batch(0, 10, 20))).toBe(true);
    expect(await lanes.hand(batch(1, 0, 5))).toBe(true);
    await tick();
    // partition 0's second batch waits for its first; partition 1 runs beside them
    expect(gates.map((g) => `${g.batch.partition}:${g.batch.from}`)).toEqual(['0:0', '1:0']);
    gates[1]!.open();
    gates[0]!.open();
    await tick();
    expect(gates.map((g) => `${g.batch.partition}:${g.batch.from}`)).toEqual(['0:0', '1:0', '0:10']);
    gates[2]!.open();
    await lanes.drain();
    expect(applied).toEqual(['1:0', '0:0', '0:10']);
  });

  it('holds handing over while a lane is full', async () => {
    const { lanes, gates } = gated(2);
    await lanes.hand(batch(0, 0, 10));
    await lanes.hand(batch(0, 10, 20));
    let third = false;
    const handed = lanes.hand(batch(0, 20, 30)).then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    gates[0]!.open();
    await handed;
    expect(third).toBe(true);
  });

  it('refuses a batch that does not continue its lane', async () => {
    const { lanes, gates } = gated();
    await lanes.hand(batch(0, 0, 10));
    expect(await lanes.hand(batch(0, 15, 20))).toBe(false);
    expect(await lanes.hand(batch(0, 10, 20))).toBe(true);
    await tick();
    gates[0]!.open();
    await tick();
    gates[1]!.open();
    await lanes.drain();
  });

  it('after a failure drops what waited behind it and expects the failed batch again', async () => {
    const { lanes, applied, failures, gates } = gated(3);
    await lanes.hand(batch(0, 0, 10));
    await lanes.hand(batch(0, 10, 20));
    await lanes.hand(batch(0, 20, 30));
    await tick();
    gates[0]!.fail(new Error('redis away'));
    await lanes.drain();
    expect(failures).toEqual(['0:0 redis away']);
    expect(gates).toHaveLength(1); // 10 and 20 were dropped, never applied
    // a batch fetched before the seek is refused; the failed one, fetched again, is taken
    expect(await lanes.hand(batch(0, 30, 40))).toBe(false);
    expect(await lanes.hand(batch(0, 0, 10))).toBe(true);
    await tick();
    gates[1]!.open();
    await lanes.drain();
    expect(applied).toEqual(['0:0']);
  });

  it('reset drops what waits, lets the running batch finish and accepts any offset next', async () => {
    const { lanes, applied, gates } = gated(3);
    await lanes.hand(batch(0, 0, 10));
    await lanes.hand(batch(0, 10, 20));
    await tick();
    lanes.reset();
    expect(await lanes.hand(batch(0, 5, 12))).toBe(true);
    gates[0]!.open();
    await tick();
    await tick();
    // 10 was dropped; 5 (fetched after the rebalance) runs after the batch that was running
    expect(gates.map((g) => g.batch.from)).toEqual(['0', '5']);
    gates[1]!.open();
    await lanes.drain();
    expect(applied).toEqual(['0:0', '0:5']);
  });

  it('expect drops what waits in one lane and accepts only a batch from the offset named (a rewind\'s seek)', async () => {
    const { lanes, applied, gates } = gated(3);
    await lanes.hand(batch(0, 0, 10));
    await lanes.hand(batch(0, 10, 20));
    await lanes.hand(batch(1, 0, 10));
    await tick();
    lanes.expect(0, '0');
    // fetched before the seek: refused, so the consumer does not resolve past the seek
    expect(await lanes.hand(batch(0, 20, 30))).toBe(false);
    expect(await lanes.hand(batch(0, 0, 10))).toBe(true);
    gates[0]!.open();
    gates[1]!.open();
    await tick();
    await tick();
    // partition 1's lane is untouched; partition 0's queued batch from 10 was dropped
    expect(gates.map((g) => `${g.batch.partition}:${g.batch.from}`)).toEqual(['0:0', '1:0', '0:0']);
    gates[2]!.open();
    await lanes.drain();
    expect(applied).toEqual(['0:0', '1:0', '0:0']);
  });
});
