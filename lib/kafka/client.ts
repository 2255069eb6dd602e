import { type ISocketFactory, Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Log } from '../observability/log';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go through our structured logger. */
export function createKafka(options: { brokers: string[]; clientId: string; log: Log; socketFactory?: ISocketFactory }): Kafka {
  const config: KafkaConfig = {
    ...(options.socketFactory && { socketFactory: options.socketFactory }),
    brokers: options.brokers,
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
