// `npm run device -- add <deviceId> <courierId> [sourceId]` · `revoke <deviceId>` · `list [courierId]`:
// the tracker devices that send OsmAnd positions for couriers (lib/devices/). `add` prints
// the device's secret and the URLs its app is set up with; the secret is not kept in clear.
import { loadConfigOrExit } from '../lib/config';
import { createDb } from '../lib/db/client';
import { deviceUrls, parseDeviceInput } from '../lib/devices/device-input';
import { listDevices, registerDevice, revokeDevice } from '../lib/devices/device-store';
import { AppError } from '../lib/http/errors';
import { createRedis } from '../lib/redis/client';

const [command, ...args] = process.argv.slice(2);
const usage = 'usage: npm run device -- add <deviceId> <courierId> [sourceId] | revoke <deviceId> | list [courierId]';
if (!command || !['add', 'revoke', 'list'].includes(command)) {
  console.error(usage);
  process.exit(2);
}
const config = loadConfigOrExit('device');
const db = createDb(config.databaseUrl);
const redis = createRedis(config.redisUrl, 'lastmile-device');
let code = 0;
try {
  if (command === 'add') {
    const [deviceId, courierId, sourceId] = args;
    const device = parseDeviceInput({ deviceId, courierId, ...(sourceId ? { sourceId } : {}) });
    const secret = await registerDevice({ db, redis }, device);
    const base = config.publicUrl || `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
    const urls = deviceUrls(base, config.osmandPort, device.deviceId, secret);
    console.log(`device ${device.deviceId} sends for courier ${device.courierId} (source ${device.sourceId})`);
    console.log(`  secret               ${secret}   (shown once; add the device again for a new one)`);
    console.log(`  Traccar Client       server URL ${urls.traccarClient}, device identifier ${device.deviceId}`);
    console.log(`  OsmAnd               ${urls.osmand}`);
  } else if (command === 'revoke') {
    if (!(await revokeDevice({ db, redis }, args[0] ?? ''))) {
      console.error(`no device ${args[0] ?? ''} is registered`);
      code = 1;
    } else console.log(`device ${args[0]} revoked`);
  } else {
    for (const d of await listDevices(db, args[0])) {
      console.log(`${d.deviceId}  courier ${d.courierId}  source ${d.sourceId}  since ${d.createdAt.toISOString()}${d.revokedAt ? `  revoked ${d.revokedAt.toISOString()}` : ''}`);
    }
  }
} catch (err) {
  if (!(err instanceof AppError)) throw err;
  console.error(`${err.message}\n${usage}`);
  code = 2;
} finally {
  await db.$disconnect();
  await redis.quit();
}
process.exit(code);
