// `npm run stats:rebuild`: recount unique users from the user.activity topic (after Redis
// lost its state, or to apply a new allowed lateness). Stop the activity workers first.
import { loadConfigOrExit } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import { topicNames } from '../lib/kafka/topics';
import { createLog } from '../lib/observability/log';
import { createRedis } from '../lib/redis/client';
import { rebuildStats } from '../lib/stats/rebuild-stats';

const config = loadConfigOrExit('stats:rebuild');
const log = createLog('stats-rebuild', 'warn');
// resets the activity group's offsets: an operator's tool, the admin
const admin = createKafka({ kafka: config.kafka, as: 'admin', clientId: `${config.kafka.clientId}-stats-rebuild`, log }).admin();
const redis = createRedis(config.redisUrl, 'lastmile-stats-rebuild');
const topic = topicNames(config.kafka.topicPrefix).userActivity;
try {
  await admin.connect();
  const { keysDeleted } = await rebuildStats({ admin, redis, groupId: `${config.worker.groupPrefix}.activity`, topic });
  console.log(`deleted ${keysDeleted} Redis keys; the activity group starts again from the beginning of ${topic}. Start the activity workers.`);
} catch (err) {
  console.error(`stats:rebuild: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
  await redis.quit();
}
