// npm run infra:up [-- --brokers 3] | infra:down | infra:status — the local services for `npm start`.
import { parseArgs } from 'node:util';
import { downInfra, profileDir, readState, upInfra } from './infra/stack';
import { isAlive } from './infra/proc';

const command = process.argv[2];
const PROFILE = process.env.LASTMILE_INFRA_PROFILE || 'dev';
const { values: flags } = parseArgs({ args: process.argv.slice(3), options: { brokers: { type: 'string' } } });

try {
  if (command === 'up') {
    // --brokers 3: a KRaft cluster of three nodes, three replicas of each record, two in sync for a write
    if (flags.brokers !== undefined && !/^[1-9]$/.test(flags.brokers)) throw new Error(`--brokers: expected a whole number from 1 to 9, got "${flags.brokers}"`);
    const { env } = await upInfra(PROFILE, { mode: 'dev', ...(flags.brokers ? { brokers: Number(flags.brokers) } : {}) });
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
      if (started.kafkaNodes) started.kafkaNodes.forEach((pid, i) => console.log(`kafka node ${i + 1} pid ${pid} ${isAlive(pid) ? 'running' : 'dead'}`));
      else console.log(`kafka pid ${started.kafka ?? '-'} ${started.kafka ? (isAlive(started.kafka) ? 'running' : 'dead') : '(not ours)'}`);
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
