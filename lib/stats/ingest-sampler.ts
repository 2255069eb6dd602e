// The ingest-rate sampler as a leased task (lib/kafka/leased-loop.ts): a sample of each
// topic's size every SAMPLE_EVERY_MS, old samples pruned hourly.
import type { Admin } from 'kafkajs';
import type { Db } from '../db/client';
import type { LeasedTask } from '../kafka/leased-loop';
import { pruneIngestSamples, sampleIngest } from './sample-ingest';

const SAMPLE_EVERY_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60_000;
const PRUNE_FIRST_MS = 60_000;

export function ingestSampler(deps: { admin: Admin; db: Db; topics: string[] }, startMs = Date.now()): LeasedTask {
  // a rate needs two samples: the first is taken an interval in, not while the worker starts
  let lastSample = startMs;
  // the first prune a minute in: not while the worker starts (a first query costs Prisma ~0.1 s of CPU)
  let lastPrune = startMs - PRUNE_EVERY_MS + PRUNE_FIRST_MS;
  return {
    name: 'ingest samples',
    async run(now) {
      if (now - lastSample >= SAMPLE_EVERY_MS) {
        lastSample = now;
        await sampleIngest(deps.admin, deps.db, deps.topics);
      }
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        await pruneIngestSamples(deps.db);
      }
    },
  };
}
