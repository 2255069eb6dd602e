import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLog } from '../observability/log';
import { createArchiver } from './archiver';
import { type LakeLines, lakeLines } from './lake-lines';
import type { ParquetWriter } from './parquet-writer';

const T = Date.UTC(2026, 11, 3, 10);
const topics = { courierLocations: 'pings', orderEvents: 'orders', userActivity: 'activity', deadLetters: 'dlq' };
const ping = (offset: number, timestamp = T + offset): KafkaMessage => ({
  key: Buffer.from('c1'),
  value: Buffer.from(JSON.stringify({ type: 'courier.location', version: 1, eventId: `evt-0000${offset}`, courierId: 'c1', lat: 1, lng: 2, occurredAt: T + offset })),
  offset: String(offset),
  timestamp: String(timestamp),
  attributes: 0,
  headers: {},
});
/** Writes the lines as text: what went into each file is plain to see. */
const textWriter: ParquetWriter = {
  async write(_topic, lines, path, head) {
    writeFileSync(path, Buffer.concat([head ? readFileSync(head) : Buffer.alloc(0), ...lines]));
    if (head) rmSync(head);
  },
  close() {},
};

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function archiver(maxBytes = 1e9, more: { flushMs?: number; idleBytes?: number; lines?: LakeLines } = {}) {
  const commits: number[] = [];
  const a = createArchiver({
    lakeDir: dir,
    topics,
    writer: textWriter,
    flushMs: more.flushMs ?? 1000,
    maxBytes,
    idleMs: 1000,
    idleBytes: more.idleBytes ?? 1e9,
    commit: async (_t, _p, offset) => void commits.push(offset),
    log: createLog('test', 'silent'),
    ...(more.lines ? { lines: more.lines } : {}),
  });
  return { a, commits };
}
const files = () =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
const offsetsIn = (path: string) =>
  readFileSync(join(dir, path), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { o: number }).o);

describe('the archiver', () => {
  it('ends ranges at the boundaries the lake already has, so a restart or a replay writes the same files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const first = archiver(600); // about three pings a file
    await first.a.append('pings', 0, Array.from({ length: 10 }, (_, i) => ping(i)));
    await first.a.flushAll();
    const written = files();
    expect(written.length).toBeGreaterThan(2);
    expect(written.flatMap(offsetsIn).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(first.commits.at(-1)).toBe(10);

    // another size limit, batches cut elsewhere: the same files, no others
    const again = archiver(10_000);
    await again.a.append('pings', 0, Array.from({ length: 4 }, (_, i) => ping(i)));
    await again.a.append('pings', 0, Array.from({ length: 6 }, (_, i) => ping(i + 4)));
    await again.a.flushAll(); // the writes run behind the appends
    expect(files()).toEqual(written);
    expect(again.commits.at(-1)).toBe(10);
  });

  it('skips records inside a file that starts before them, and never commits back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const first = archiver(600);
    await first.a.append('pings', 0, Array.from({ length: 10 }, (_, i) => ping(i)));
    await first.a.flushAll();
    const written = files();
    const resumed = archiver(600);
    // resumed at 1 (the records before were cut by retention): one batch through to the end
    await resumed.a.append('pings', 0, Array.from({ length: 9 }, (_, i) => ping(i + 1)));
    await resumed.a.flushAll();
    expect(files()).toEqual(written);
    expect(resumed.commits).toEqual([...resumed.commits].sort((a, b) => a - b));
    expect(resumed.commits.at(-1)).toBe(10);
  });

  it('files each record under the hour it reached Kafka, one file name per range', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const { a } = archiver();
    await a.append('pings', 2, [ping(0, T - 1), ping(1, T), ping(2, T + 1)]);
    await a.flushAll();
    const name = 'pings-2-00000000000000000000-00000000000000000002.parquet';
    expect(files()).toEqual([`topic=pings/date=2026-12-03/hour=09/${name}`, `topic=pings/date=2026-12-03/hour=10/${name}`]);
    expect(offsetsIn(`topic=pings/date=2026-12-03/hour=09/${name}`)).toEqual([0]);
  });

  it('writes a range of idleBytes or more once its partition, read to its end, is quiet for idleMs; others only at flushMs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const { a, commits } = archiver(1e9, { flushMs: 60_000, idleBytes: 400 });
    await a.append('pings', 0, [ping(0), ping(1), ping(2)], 3); // ~600 bytes of lines, the partition's end
    await a.append('pings', 1, [ping(0)], 1); // ~200
    await a.append('pings', 2, [ping(0), ping(1), ping(2)], 10); // not at its end: waits for flushMs
    const now = Date.now();
    await a.flushDue(now + 500);
    expect(commits).toEqual([]);
    await a.flushDue(now + 1_100);
    await vi.waitFor(() => expect(commits).toEqual([3])); // written behind: partition 1's ~200 bytes wait
    await a.flushAll();
    expect(commits.slice(1).sort()).toEqual([1, 3]); // the stop writes the other two, in either order
    const quiet = archiver(1e9, { flushMs: 60_000, idleBytes: 400 });
    await quiet.a.append('pings', 1, [ping(1)], 2);
    await quiet.a.flushDue(Date.now() + 30_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(quiet.commits).toEqual([]);
    await quiet.a.flushDue(Date.now() + 61_000);
    await vi.waitFor(() => expect(quiet.commits).toEqual([2]));
  });

  it('keeps records that are no valid event out of the files, but within the range', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const { a, commits } = archiver();
    await a.append('pings', 0, [ping(0), { ...ping(1), value: Buffer.from('not json') }, ping(2)]);
    await a.flushAll();
    expect(files().map(offsetsIn)).toEqual([[0, 2]]);
    expect(commits).toEqual([3]);
  });

  it('adds a batch fetched again (its first apply failed) once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const { a, commits } = archiver();
    const batch = Array.from({ length: 5 }, (_, i) => ping(i));
    await a.append('pings', 0, batch);
    await a.append('pings', 0, batch); // kafkajs hands the same batch again
    await a.append('pings', 0, [ping(3), ping(4), ping(5)]);
    await a.flushAll();
    expect(files().map(offsetsIn)).toEqual([[0, 1, 2, 3, 4, 5]]);
    expect(commits).toEqual([6]);
  });

  it('writes and commits nothing for work queued before a rebalance', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const { a, commits } = archiver();
    await a.append('pings', 0, [ping(0), ping(1)]);
    const flushing = a.flushAll();
    a.reset(); // the group rebalanced while the file was being written
    await flushing;
    expect(files()).toEqual([]);
    expect(commits).toEqual([]);
  });

  it('stops at a failed write: commits nothing after it, and refuses the next batches of the partition', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const commits: number[] = [];
    let fail = true;
    const a = createArchiver({
      lakeDir: dir,
      topics,
      writer: {
        async write(topic, lines, path) {
          if (fail) throw new Error('disk full');
          await textWriter.write(topic, lines, path);
        },
        close() {},
      },
      flushMs: 1000,
      maxBytes: 600,
      commit: async (_t, _p, offset) => void commits.push(offset),
      log: createLog('test', 'silent'),
    });
    await a.append('pings', 0, Array.from({ length: 10 }, (_, i) => ping(i)));
    await expect(a.flushAll()).rejects.toThrow('disk full');
    await expect(a.append('pings', 0, [ping(10)])).rejects.toThrow('disk full');
    expect(commits).toEqual([]);
    // the rejoined group (kafkajs restarts a consumer whose retries failed) reads it all again
    fail = false;
    a.reset();
    await a.append('pings', 0, Array.from({ length: 11 }, (_, i) => ping(i)));
    await a.flushAll();
    expect(files().flatMap(offsetsIn).sort((x, y) => x - y)).toEqual([...Array(11).keys()]);
    expect(commits.at(-1)).toBe(11);
  });
  it('reads a partition again from its last commit after lines failed half-written, never adding them twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const real = lakeLines();
    let calls = 0;
    // the second write throws after writing its first line (as a spill write that failed would)
    const failing: LakeLines = {
      ...real,
      write(topic, partition, batch, from, to, out, stopAfter) {
        if (++calls !== 2) return real.write(topic, partition, batch, from, to, out, stopAfter);
        real.write(topic, partition, batch, from, from + 1, out, stopAfter);
        throw new Error('disk full');
      },
    };
    const { a, commits } = archiver(1e9, { lines: failing });
    await a.append('pings', 0, [ping(0), ping(1)]);
    await expect(a.append('pings', 0, [ping(2), ping(3)])).rejects.toThrow('disk full');
    // kafkajs retries the batch: refused until the group has rejoined and reads from the commit
    await expect(a.append('pings', 0, [ping(2), ping(3)])).rejects.toThrow('disk full');
    await expect(a.flushAll()).rejects.toThrow('disk full');
    expect(commits).toEqual([]);
    a.reset(); // the rejoin
    await a.append('pings', 0, [0, 1, 2, 3].map((o) => ping(o)));
    await a.flushAll();
    expect(files().flatMap(offsetsIn)).toEqual([0, 1, 2, 3]);
    expect(commits).toEqual([4]);
  });
});
