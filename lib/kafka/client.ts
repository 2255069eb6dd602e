import { type ISocketFactory, Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Log } from '../observability/log';
import { type KafkaSettings, kafkaSasl } from './credentials';
import type { KafkaIdentity } from './principals';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

export interface KafkaClientOptions {
  kafka: KafkaSettings;
  /** Whom to sign in as (lib/kafka/principals.ts): a service its own user, a tool the admin. */
  as: KafkaIdentity;
  clientId: string;
  log: Log;
  socketFactory?: ISocketFactory;
}

/** A kafkajs client, signed in as `as`, whose own logs go through our structured logger. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const sasl = kafkaSasl(options.kafka, options.as);
  const config: KafkaConfig = {
    ...(options.socketFactory && { socketFactory: options.socketFactory }),
    ...(sasl && { sasl }),
    brokers: options.kafka.brokers,
    clientId: options.clientId,
    logLevel: KafkaLogLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        options.log[LEVELS[level] ?? 'info']({ kafka: namespace, ...rest }, message);
      },
  };
  return new Kafka(config);
}

/** Header every message carries: which schema its value follows. */
export const SCHEMA_HEADER = 'schema-id';
