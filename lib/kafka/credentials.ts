// Whom a process signs in to Kafka as. KAFKA_USERNAME and KAFKA_PASSWORD when set (every
// deployment sets them, per service); otherwise, for local use, its own entry in the users
// file the local broker was formatted with (scripts/infra writes KAFKA_USERS_FILE).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SASLOptions } from 'kafkajs';
import { type Config, ConfigError } from '../config';
import { type KafkaIdentity } from './principals';

/** What a client needs of the config's `kafka`: where the brokers are and how to sign in. */
export type KafkaSettings = Pick<Config['kafka'], 'brokers' | 'saslMechanism' | 'username' | 'password' | 'usersFile'>;

export interface KafkaCredential {
  username: string;
  password: string;
}

/** The local users file: one credential per identity. */
export type KafkaUsers = Record<KafkaIdentity, KafkaCredential>;

export function readKafkaUsers(path: string): Partial<KafkaUsers> | undefined {
  const file = resolve(path);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<KafkaUsers>;
  } catch (err) {
    throw new ConfigError('KAFKA_USERS_FILE', `${file} is not a users file: ${(err as Error).message}`);
  }
}

/** kafkajs's `sasl` option for `identity`, or undefined for a broker without SASL. */
export function kafkaSasl(kafka: KafkaSettings, identity: KafkaIdentity): SASLOptions | undefined {
  if (kafka.saslMechanism === 'none') return undefined;
  if (kafka.username) return { mechanism: kafka.saslMechanism, username: kafka.username, password: kafka.password };
  const user = readKafkaUsers(kafka.usersFile)?.[identity];
  if (!user) {
    throw new ConfigError(
      'KAFKA_USERNAME',
      `not set, and ${resolve(kafka.usersFile)} (KAFKA_USERS_FILE) has no "${identity}" user: ` +
        'npm run infra:up writes it for the local broker; set KAFKA_SASL_MECHANISM=none for a broker without SASL',
    );
  }
  return { mechanism: kafka.saslMechanism, username: user.username, password: user.password };
}
