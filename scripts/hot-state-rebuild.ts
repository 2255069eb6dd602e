// `npm run hot-state:rebuild`: rebuilds Redis's hot state (couriers' last locations, the GEO
// index, order statuses and assignments) from Postgres now, and says how long it took. The
// workers do the same on their own when Redis has lost it; this is for an operator.
import { loadConfigOrExit } from '../lib/config';
import { createDb } from '../lib/db/client';
import { rebuildHotState } from '../lib/hot-state/rebuild-hot-state';
import { createRedis } from '../lib/redis/client';

const config = loadConfigOrExit('hot-state:rebuild');
const db = createDb(config.databaseUrl);
const redis = createRedis(config.redisUrl, 'lastmile-hot-state-rebuild');
try {
  const report = await rebuildHotState({ db, redis }, { closedWithinMs: config.auth.shareLinkGraceMs });
  console.log(
    `hot state rebuilt from Postgres in ${report.ms} ms: ${report.couriers} couriers' last locations, ` +
      `${report.orders} order statuses, ${report.orderLocations} open orders' locations (epoch ${report.epoch})`,
  );
} finally {
  await db.$disconnect();
  await redis.quit();
}
