// npm run infra:up | infra:down | infra:status — the local services for `npm start`.
import { downInfra, profileDir, readState, upInfra } from './infra/stack';
import { isAlive } from './infra/proc';

const command = process.argv[2];
const PROFILE = 'dev';

try {
  if (command === 'up') {
    const { env } = await upInfra(PROFILE, { mode: 'dev' });
    console.log('\nexport these to point the app at them (npm start does it for you):');
    for (const [k, v] of Object.entries(env)) console.log(`  ${k}=${v}`);
  } else if (command === 'down') {
    await downInfra(PROFILE);
    console.log('stopped what infra:up started (data kept in .infra/dev)');
  } else if (command === 'status') {
    const state = readState(PROFILE);
    if (!state) console.log(`nothing started yet (${profileDir(PROFILE)})`);
    else {
      for (const [k, v] of Object.entries(state.env)) console.log(`${k}=${v}`);
      const started = state.started;
      console.log(`kafka pid ${started.kafka ?? '-'} ${started.kafka ? (isAlive(started.kafka) ? 'running' : 'dead') : '(not ours)'}`);
      console.log(`redis pid ${started.redis ?? '-'} ${started.redis ? (isAlive(started.redis) ? 'running' : 'dead') : '(not ours)'}`);
      console.log(`postgres  ${started.postgres ?? '(not ours)'}`);
    }
  } else {
    console.error('usage: tsx scripts/infra.ts up|down|status');
    process.exitCode = 2;
  }
} catch (err) {
  console.error(`infra ${command}: ${(err as Error).message}`);
  process.exitCode = 1;
}
