// `npm run activity -- [--frames N] [--users N] [--seed N] [--rate N] [--disorder S]
//   [--late-fraction F] [--late-by S] [--start EPOCH_S] [--jsonl FILE]`
// Writes deterministic user-activity frames to the user.activity topic (key uid), or to a
// JSONL file with --jsonl; shows progress on stderr.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { Partitioners } from 'kafkajs';
import { loadConfigOrExit } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import { topicNames } from '../lib/kafka/topics';
import { createLog } from '../lib/observability/log';
import { type ActivityOptions, activityFrames } from '../lib/stats/activity-generator';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '100000' },
    users: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    rate: { type: 'string', default: '1000' },
    disorder: { type: 'string', default: '3' },
    'late-fraction': { type: 'string', default: '0.01' },
    'late-by': { type: 'string', default: '90' },
    start: { type: 'string' },
    jsonl: { type: 'string' },
  },
});

function num(name: keyof typeof values, min: number): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name}: expected a number >= ${min}, got "${values[name]}"`);
    process.exit(2);
  }
  return n;
}

const options: ActivityOptions = {
  frames: num('frames', 1),
  users: num('users', 1),
  seed: num('seed', 0),
  ratePerSec: num('rate', 0.001),
  disorderSec: num('disorder', 0),
  lateFraction: num('late-fraction', 0),
  lateBySec: num('late-by', 0),
  startSec: values.start ? num('start', 0) : Math.floor(Date.now() / 1000) - Math.ceil(num('frames', 1) / num('rate', 0.001)),
};

const started = Date.now();
function progress(done: number, final = false) {
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`\r${done.toLocaleString()} / ${options.frames.toLocaleString()} frames · ${Math.round(done / Math.max(seconds, 0.001)).toLocaleString()}/s${final ? '\n' : ''}`);
}

if (values.jsonl) {
  const out = createWriteStream(values.jsonl);
  let done = 0;
  for (const frame of activityFrames(options)) {
    if (!out.write(`${frame.text}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    if (++done % 10_000 === 0) progress(done);
  }
  await new Promise<void>((r) => out.end(() => r()));
  progress(done, true);
} else {
  const config = loadConfigOrExit('activity');
  const log = createLog('activity', 'warn');
  // a load generator writes to an ingest topic, which no service but the server may: the admin
  const producer = createKafka({ kafka: config.kafka, as: 'admin', clientId: 'lastmile-activity', log }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const topic = topicNames(config.kafka.topicPrefix).userActivity;
  let batch: { key: string; value: string }[] = [];
  let batchBytes = 0;
  let done = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await producer.send({ topic, acks: -1, messages: batch });
    done += batch.length;
    batch = [];
    batchBytes = 0;
    progress(done);
  };
  for (const frame of activityFrames(options)) {
    batch.push({ key: frame.uid, value: frame.text });
    batchBytes += frame.text.length;
    if (batchBytes > 600_000) await flush(); // one request stays under the broker's 1 MB
  }
  await flush();
  await producer.disconnect();
  progress(done, true);
}
