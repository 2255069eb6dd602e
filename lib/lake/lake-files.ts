// The lake's folders and file names. Hive-style folders by topic and by the UTC date and hour
// a record reached Kafka (its timestamp: every topic has one, dead letters too, and it only
// grows along a partition, so a file seldom spans two hours):
//   <LAKE_DIR>/topic=<topic>/date=YYYY-MM-DD/hour=HH/<topic>-<partition>-<first>-<last>.parquet
// A file holds one offset range of one partition (its records of that hour), so the names
// say which records the lake holds. A file is written under a hidden temporary name, synced
// and renamed into place: a reader sees all of it or none.
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface OffsetRange {
  first: number;
  last: number;
}

export interface LakeRange extends OffsetRange {
  /** Every file of the range (one per hour its records span). */
  paths: string[];
}

const pad = (n: number) => String(n).padStart(20, '0');

export const lakeFileName = (topic: string, partition: number, range: OffsetRange) => `${topic}-${partition}-${pad(range.first)}-${pad(range.last)}.parquet`;

/** The partition and range a file of this topic holds; undefined for any other name. */
export function parseLakeFileName(topic: string, name: string): ({ partition: number } & OffsetRange) | undefined {
  if (!name.startsWith(`${topic}-`) || !name.endsWith('.parquet')) return undefined;
  const m = /^(\d+)-(\d{20})-(\d{20})\.parquet$/.exec(name.slice(topic.length + 1));
  if (!m) return undefined;
  return { partition: Number(m[1]), first: Number(m[2]), last: Number(m[3]) };
}

export const topicDir = (lakeDir: string, topic: string) => join(lakeDir, `topic=${topic}`);

/** The folder of the hour a Kafka timestamp falls in. */
export function hourDir(lakeDir: string, topic: string, timestampMs: number): string {
  const iso = new Date(timestampMs).toISOString();
  return join(topicDir(lakeDir, topic), `date=${iso.slice(0, 10)}`, `hour=${iso.slice(11, 13)}`);
}

const isTemporary = (name: string, topic: string, partition: number) => name.startsWith(`.${topic}-${partition}-`) && name.endsWith('.tmp');

let written = 0;
/** Each write's own: two writes of the same range (before and after a rebalance) never share one. */
export const temporaryName = (finalName: string) => `.${finalName}.${process.pid}-${++written}.tmp`;
/** Where a range's lines spill before its file is written (a temporary too: cleared like the rest). */
export const spillName = (topic: string, partition: number, first: number) => `.${topic}-${partition}-${first}.${process.pid}-${++written}.lines.tmp`;

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every hour folder of a topic. */
export async function hourDirs(lakeDir: string, topic: string): Promise<string[]> {
  const base = topicDir(lakeDir, topic);
  const dirs: string[] = [];
  for (const date of (await entries(base)).filter((d) => d.startsWith('date=')).sort()) {
    for (const hour of (await entries(join(base, date))).filter((h) => h.startsWith('hour=')).sort()) dirs.push(join(base, date, hour));
  }
  return dirs;
}

/** Whether a topic has at least one Parquet file (an hour folder is made before its first file). */
export async function hasFiles(lakeDir: string, topic: string): Promise<boolean> {
  for (const dir of await hourDirs(lakeDir, topic)) if ((await entries(dir)).some((n) => n.endsWith('.parquet') && !n.startsWith('.'))) return true;
  return false;
}

/**
 * The ranges of one partition the lake holds, oldest first. Temporary files a writer of
 * this partition left (killed before its rename) are removed on the way.
 */
export async function listRanges(lakeDir: string, topic: string, partition: number): Promise<LakeRange[]> {
  const byName = new Map<string, LakeRange>();
  for (const dir of await hourDirs(lakeDir, topic)) {
    for (const name of await entries(dir)) {
      if (isTemporary(name, topic, partition)) {
        await unlink(join(dir, name)).catch(() => undefined);
        continue;
      }
      const parsed = parseLakeFileName(topic, name);
      if (!parsed || parsed.partition !== partition) continue;
      const range = byName.get(name) ?? { first: parsed.first, last: parsed.last, paths: [] };
      range.paths.push(join(dir, name));
      byName.set(name, range);
    }
  }
  return [...byName.values()].sort((a, b) => a.first - b.first);
}

/** Other files of the partition in `dir` whose ranges overlap `range` (left by a writer that lost the partition). */
export async function overlapping(dir: string, topic: string, partition: number, range: OffsetRange): Promise<string[]> {
  const name = lakeFileName(topic, partition, range);
  return (await entries(dir)).filter((n) => {
    const p = parseLakeFileName(topic, n);
    return n !== name && p?.partition === partition && p.first <= range.last && p.last >= range.first;
  });
}

/** fsync in libuv's threads: a file's sync waits for the disk, and the event loop has fetches to answer. */
async function fsyncPath(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Syncs a finished temporary file, renames it into place and syncs the folder: it survives a crash whole. */
export async function publishFile(temporaryPath: string, finalPath: string): Promise<void> {
  await fsyncPath(temporaryPath);
  await rename(temporaryPath, finalPath);
  await fsyncPath(join(finalPath, '..'));
}

export const ensureDir = (dir: string) => mkdir(dir, { recursive: true });
