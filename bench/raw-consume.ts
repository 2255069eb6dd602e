// The baseline of bench/unique-users.ts and bench/lake.ts: kafkajs reading a topic the way the
// activity and archive workers do — same client setup, fetch sizes and partitions at once, a
// commit per batch — and doing nothing else with the messages but count them. Runs in a helper process
// (bench/child.ts, role "load"), as the worker runs in its own.
import { loadConfig } from '../lib/config';
import { createKafka } from '../lib/kafka/client';
import type { Log } from '../lib/observability/log';
import { ACTIVITY_FETCH } from '../workers/activity-worker';
import { monoMs } from './load';

export interface RawConsumeArgs {
  brokers: string[];
  topic: string;
  /** A fresh group, so the pass starts at each partition's beginning. */
  groupId: string;
  /** Each partition's end (high watermark) to read up to. */
  ends: Record<number, number>;
  timeoutMs: number;
  /** Batches handled at once: one per partition, as the worker hands them to its lanes. */
  partitionsConsumedConcurrently: number;
}

export interface RawConsumeResult {
  /** monoMs: called, first batch committed, every partition read to its end. */
  startMs: number;
  firstBatchMs: number;
  doneMs: number;
  /** Messages read by firstBatchMs. */
  firstBatchMessages: number;
  messages: number;
  batches: number;
}

export async function rawConsume(args: RawConsumeArgs, log: Log): Promise<RawConsumeResult> {
  const startMs = monoMs();
  const { topic } = args;
  // its group is none of the activity worker's: the admin
  const kafka = createKafka({ kafka: { ...loadConfig(process.env).kafka, brokers: args.brokers }, as: 'admin', clientId: 'bench-raw-consume', log });
  const consumer = kafka.consumer({ groupId: args.groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 3_000, ...ACTIVITY_FETCH });
  const remaining = new Set(Object.entries(args.ends).filter(([, end]) => end > 0).map(([p]) => Number(p)));
  let firstBatchMs = Number.NaN;
  let firstBatchMessages = 0;
  let messages = 0;
  let batches = 0;
  let finished: (doneMs: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finished = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: args.partitionsConsumedConcurrently,
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const { partition, messages: batchMessages } = batch;
        if (batchMessages.length === 0) return;
        const last = batchMessages[batchMessages.length - 1]!.offset;
        messages += batchMessages.length;
        batches++;
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(last) + 1) }]);
        resolveOffset(last);
        await heartbeat();
        if (Number.isNaN(firstBatchMs)) [firstBatchMs, firstBatchMessages] = [monoMs(), messages];
        if (Number(last) + 1 >= (args.ends[partition] ?? 0)) {
          remaining.delete(partition);
          if (remaining.size === 0) finished(monoMs());
        }
      },
    });
    if (remaining.size === 0) finished(monoMs());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`raw consumer: not at the end after ${args.timeoutMs / 1000}s (${messages} messages read)`)), args.timeoutMs);
    });
    const doneMs = await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    return { startMs, firstBatchMs, doneMs, firstBatchMessages, messages, batches };
  } finally {
    await consumer.disconnect();
  }
}
