// First step of `npm test`: installs what a fresh machine lacks (Debian packages as root,
// Kafka's jars from Maven Central). Quick when everything is already there.
import { buildNativeLines } from '../lib/lake/native-lines';
import { buildNativeScan } from '../lib/stats/native-uid-ts';
import { ensureKafkaJars } from './infra/kafka';
import { ensureCommand } from './infra/proc';

ensureCommand('chromium', 'chromium', process.env.CHROMIUM_PATH);
ensureCommand('redis-server', 'redis-server');
ensureCommand('docker-compose', 'docker-compose');
ensureCommand('nginx', 'nginx', '/usr/sbin/nginx');
ensureKafkaJars();
// the native scan (activity reader) and event check (archiver): their tests hold each to its JavaScript path
if (!process.env.CC) ensureCommand('cc', 'gcc');
buildNativeScan();
buildNativeLines();
