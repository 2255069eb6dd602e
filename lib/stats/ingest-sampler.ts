// The ingest-rate sampler as a leased task (lib/kafka/leased-loop.ts): a sample of each
// topic's size every SAMPLE_EVERY_MS. Old samples are dropped with their day
// (lib/db/history-maintenance.ts).
import type { Admin } from 'kafkajs';
import type { Db } from '../db/client';
import type { LeasedTask } from '../kafka/leased-loop';
import { sampleIngest } from './sample-ingest';

const SAMPLE_EVERY_MS = 5_000;

export function ingestSampler(deps: { admin: Admin; db: Db; topics: string[] }, startMs = Date.now()): LeasedTask {
  // a rate needs two samples: the first is taken an interval in, not while the worker starts
  let lastSample = startMs;
  return {
    name: 'ingest samples',
    async run(now) {
      if (now - lastSample >= SAMPLE_EVERY_MS) {
        lastSample = now;
        await sampleIngest(deps.admin, deps.db, deps.topics);
      }
    },
  };
}
