// The local brokers' SCRAM users: a random password per identity, made once and kept in
// .infra/kafka-users.json (mode 0600). Every local broker (npm start's, each test run's, a
// test's own, the benchmarks') is formatted with these, so every local process finds its
// password the same way: its entry in KAFKA_USERS_FILE.
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KafkaUsers, readKafkaUsers } from '../../lib/kafka/credentials';
import { KAFKA_IDENTITIES, kafkaUserName } from '../../lib/kafka/principals';
import { ROOT } from './proc';

export const LOCAL_USERS_FILE = join(ROOT, '.infra/kafka-users.json');

/** Reads the users file, adding any identity it lacks (the first run, a service added since). */
export function ensureKafkaUsers(path = LOCAL_USERS_FILE): KafkaUsers {
  const existing = readKafkaUsers(path);
  const users = existing ?? {};
  const missing = KAFKA_IDENTITIES.filter((identity) => users[identity]?.username !== kafkaUserName(identity));
  if (missing.length === 0) {
    chmodSync(path, 0o600); // also when an older run left it readable
    return users as KafkaUsers;
  }
  for (const identity of missing) users[identity] = { username: kafkaUserName(identity), password: randomBytes(24).toString('base64url') };
  mkdirSync(join(path, '..'), { recursive: true });
  // written whole, then put in place: a concurrent reader never sees half a file
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  if (existing) renameSync(partial, path);
  else {
    try {
      // the first run: whoever links first wins, and a concurrent first run takes its users
      linkSync(partial, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return ensureKafkaUsers(path);
    } finally {
      unlinkSync(partial);
    }
  }
  return users as KafkaUsers;
}
