// `npm run backfill -- courier-features --from YYYY-MM-DD --to YYYY-MM-DD`: recomputes the
// courier features of each day from the lake's history and writes them to the lake
// (lib/lake/courier-features-job.ts). It writes nothing else: it opens no Redis connection
// at all. Running it again writes the same files.
import { loadConfigOrExit } from '../lib/config';
import { daysBetween, featuresFile, writeCourierFeatures } from '../lib/lake/courier-features-job';
import { lakeTopicNames, openLake } from '../lib/lake/lake-views';

const USAGE = 'usage: npm run backfill -- courier-features --from YYYY-MM-DD --to YYYY-MM-DD';
const [job, ...rest] = process.argv.slice(2);
const option = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const from = option('from');
const to = option('to') ?? from;
if (job !== 'courier-features' || !from || !to) {
  console.error(USAGE);
  process.exit(2);
}
let days: string[];
try {
  days = daysBetween(from, to);
} catch (err) {
  console.error(`backfill: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const config = loadConfigOrExit('backfill');
const lake = await openLake(config.lake.dir, lakeTopicNames(config.kafka.topicPrefix));
try {
  const started = performance.now();
  for (const day of days) {
    const couriers = await writeCourierFeatures(lake.connection, config.lake.dir, day);
    console.log(`${day}: ${couriers} couriers → ${featuresFile(config.lake.dir, day)}`);
  }
  console.log(`courier features for ${days.length} day${days.length === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms`);
} finally {
  lake.close();
}
