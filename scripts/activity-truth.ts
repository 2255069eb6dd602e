// `npm run activity:truth -- FILE.jsonl`: the exact distinct users per minute of a JSONL file
// of frames, by JSON.parse (independent of the worker's fast reader), as CSV on stdout.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { exactUniqueUsersPerMinute } from '../lib/stats/activity-generator';
import { referenceUidTs } from '../lib/stats/read-uid-ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npm run activity:truth -- FILE.jsonl');
  process.exit(2);
}
const frames: { uid: string; ts: number }[] = [];
let invalid = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const frame = referenceUidTs(line);
  if (frame) frames.push(frame);
  else invalid++;
}
console.log('minute,unique_users');
for (const [minute, users] of exactUniqueUsersPerMinute(frames)) console.log(`${new Date(minute * 1000).toISOString()},${users}`);
console.error(`${frames.length} frames, ${invalid} invalid`);
