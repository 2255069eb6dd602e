// The activity worker's reader: batches read on its thread straight from the bytes the main
// thread fetched (by address) and applied to Redis there must leave Redis as the same batches
// read from copies and applied here do, even while the main thread drops its own references
// to those bytes and the garbage collector runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { activityFrames } from '../../lib/stats/activity-generator';
import { loadNativeScan } from '../../lib/stats/native-uid-ts';
import { readAndApply } from '../../lib/stats/read-and-apply';
import type { HeldFrames } from '../../lib/kafka/held-batch';
import { frameRegion, packFrames } from '../../lib/stats/read-batch';
import { type PartitionState, statsPrefix, windowStore } from '../../lib/stats/window-store';
import { createFrameReader } from '../../workers/activity-reader/reader';
import { type Harness, createHarness } from './harness';

const LATENESS = 5;
const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

/** The values as the worker holds them: one region where they lie in one, else as they are. */
const heldFrames = (values: Buffer[]): HeldFrames => frameRegion(values) ?? { values };

/** A batch as kafkajs hands it over: slices of one fetched buffer, record headers between them. */
function fetchedBatch(texts: string[]): Buffer[] {
  const fetched = Buffer.from(texts.map((t) => `~hdr~${t}`).join(''));
  const values: Buffer[] = [];
  let at = 0;
  for (const t of texts) {
    const n = Buffer.byteLength(t);
    values.push(fetched.subarray(at + 5, at + 5 + n));
    at += 5 + n;
  }
  return values;
}

describe('frame reader', () => {
  it('reads and applies batches on its thread by address, as they are read from copies and applied here', async () => {
    const h = await createHarness('reader');
    harnesses.push(h);
    const native = loadNativeScan().scan;
    expect(native).not.toBeNull();
    const startSec = Math.floor(Date.now() / 1000) - 3600;
    const texts = [...activityFrames({ seed: 9, users: 400, frames: 6_000, startSec, ratePerSec: 20, disorderSec: 3, lateFraction: 0.03, lateBySec: 60 })].map((f) => f.text);
    const batches = Array.from({ length: 30 }, (_, i) => texts.slice(i * 200, i * 200 + 200));

    const onThread = statsPrefix(`${h.topics.userActivity}.thread`);
    const here = statsPrefix(`${h.topics.userActivity}.here`);
    const [threadStore, hereStore] = [windowStore(h.redis, onThread), windowStore(h.redis, here)];
    const [threadEpoch, hereEpoch] = await Promise.all([threadStore.renewEpoch(null, 'test'), hereStore.renewEpoch(null, 'test')]);
    const reader = await createFrameReader({ choice: 'native', redis: h.redis, redisUrl: h.config.redisUrl, prefix: onThread, allowedLatenessSec: LATENESS, futureToleranceSec: 10 });
    expect(reader.kind).toBe('native');
    let threadState: PartitionState = { offset: -1, watermark: -Infinity };
    let hereState: PartitionState = { offset: -1, watermark: -Infinity };
    try {
      for (const [i, batch] of batches.entries()) {
        if (i === 3) await reader.ready(); // the first batches are likely done here, the rest on the thread
        const offset = (i + 1) * 200 - 1;
        // the fetched bytes are referenced by the reader alone while its thread reads them
        // record timestamps a minute into the stream: the frames after are from the future
        const recordTs = new Float64Array(batch.length).fill((startSec + 60) * 1000);
        const read = reader.read(heldFrames(fetchedBatch(batch)), recordTs, { partition: 0, epoch: threadEpoch, from: threadState, offset });
        const garbage = Array.from({ length: 20_000 }, (_, k) => ({ k, text: `garbage ${k}` })); // keeps the collector busy
        expect(garbage.length).toBe(20_000);
        const outcome = await read;
        expect(outcome.applied).toEqual({ ok: true });
        threadState = { offset, watermark: outcome.watermark };

        const { bytes, spans } = packFrames(batch.map((t) => Buffer.from(t)));
        const ctx = { store: hereStore, allowedLatenessSec: LATENESS, futureToleranceSec: 10, native };
        const copied = await readAndApply(ctx, { bytes }, spans, recordTs, { partition: 0, epoch: hereEpoch, from: hereState, offset });
        expect(copied.applied).toEqual({ ok: true });
        expect(outcome.watermark).toBe(copied.watermark);
        hereState = { offset, watermark: copied.watermark };
      }
      expect(reader.counts().onThread).toBeGreaterThanOrEqual(27);
    } finally {
      await reader.close();
    }

    expect(await threadStore.partitionState(threadEpoch, 0)).toEqual(await hereStore.partitionState(hereEpoch, 0));
    const minutes = Array.from({ length: 6 }, (_, k) => ({ window: 'm' as const, start: Math.floor(startSec / 60) * 60 + (k - 1) * 60 }));
    const figures = await threadStore.live(minutes);
    expect(figures).toEqual(await hereStore.live(minutes));
    expect(figures.reduce((n, f) => n + f.uniqueUsers, 0)).toBeGreaterThan(1000);
    expect(figures.reduce((n, f) => n + f.futureEvents, 0)).toBeGreaterThan(1000);
  });
  it('does the batches here while a thread that dies at boot is replaced, backing off', async () => {
    const h = await createHarness('reader-crash');
    harnesses.push(h);
    const crashing = path.join(mkdtempSync(path.join(os.tmpdir(), 'lastmile-reader-')), 'crash.cjs');
    writeFileSync(crashing, "throw new Error('the reader thread failed at boot');");
    const prefix = statsPrefix(`${h.topics.userActivity}.crash`);
    const store = windowStore(h.redis, prefix);
    const epoch = await store.renewEpoch(null, 'test');
    const reader = await createFrameReader({ choice: 'native', redis: h.redis, redisUrl: h.config.redisUrl, prefix, allowedLatenessSec: LATENESS, futureToleranceSec: 10, module: pathToFileURL(crashing) });
    const texts = [...activityFrames({ seed: 4, users: 20, frames: 200, startSec: Math.floor(Date.now() / 1000) - 600, ratePerSec: 1, disorderSec: 1, lateFraction: 0, lateBySec: 0 })].map((f) => f.text);
    try {
      let from: PartitionState = { offset: -1, watermark: -Infinity };
      for (let i = 0; i < 10; i++) {
        const offset = (i + 1) * 20 - 1;
        const outcome = await reader.read(heldFrames(fetchedBatch(texts.slice(i * 20, i * 20 + 20))), new Float64Array(20).fill(Date.now()), { partition: 0, epoch, from, offset });
        expect(outcome.applied).toEqual({ ok: true });
        from = { offset, watermark: outcome.watermark };
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      const { here, onThread, threads } = reader.counts();
      expect([here, onThread]).toEqual([10, 0]);
      // in ~1.5 s: without a backoff a thread every ~50 ms; with it, after 0, 100, 200, 400, 800 ms
      expect(threads).toBeGreaterThanOrEqual(3);
      expect(threads).toBeLessThanOrEqual(8);
      expect(await store.partitionState(epoch, 0)).toEqual(from);
    } finally {
      await reader.close();
    }
  });
});
