// Topics as code: every topic the platform uses, created or brought up to date at start.
import type { Admin, ITopicConfig } from 'kafkajs';

const DAY_MS = 24 * 60 * 60 * 1000;

interface TopicSpec {
  name: string;
  /** What the message key is; it decides the partition and so what stays in order. */
  key: string;
  /** Fixed partition count, or undefined to take the configured default. */
  partitions?: number;
  config: Record<string, string>;
}

// Retention: Kafka is the replay log, Postgres the record. A week of pings and a month of
// order events let a worker or a new consumer rebuild from the topic after an outage.
const TOPICS = {
  courierLocations: { name: 'courier.locations', key: 'courierId', config: { 'retention.ms': String(7 * DAY_MS) } },
  orderEvents: { name: 'order.events', key: 'orderId', config: { 'retention.ms': String(30 * DAY_MS) } },
  userActivity: { name: 'user.activity', key: 'uid', config: { 'retention.ms': String(3 * DAY_MS) } },
  uniqueUsers: {
    name: 'stats.unique-users',
    key: 'window: m|h|d:ISO start',
    partitions: 1,
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
  },
  deadLetters: { name: 'lastmile.dlq', key: 'the original key', config: { 'retention.ms': String(30 * DAY_MS) } },
} as const satisfies Record<string, TopicSpec>;

export type TopicId = keyof typeof TOPICS;
export type TopicNames = Record<TopicId, string>;

export function topicNames(prefix = ''): TopicNames {
  const names = {} as TopicNames;
  for (const id of Object.keys(TOPICS) as TopicId[]) names[id] = prefix + TOPICS[id].name;
  return names;
}

export function topicSpecs(prefix: string, defaultPartitions: number): ITopicConfig[] {
  return (Object.values(TOPICS) as TopicSpec[]).map((spec) => ({
    topic: prefix + spec.name,
    numPartitions: spec.partitions ?? defaultPartitions,
    replicationFactor: -1,
    configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
  }));
}

const RETRIABLE_METADATA = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Waits until every partition of `topics` has a leader. kafkajs's own wait (createTopics'
 * waitForLeaders) gives up on a broker that has not heard of a new topic yet, which a cluster
 * of several nodes answers for a moment after the topic is made.
 */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!RETRIABLE_METADATA.has((err as { type?: string }).type ?? '') || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics without a leader after ${timeoutMs / 1000}s: ${topics.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates missing topics, adds partitions where fewer than declared, and applies configs. */
export async function ensureTopics(admin: Admin, prefix: string, defaultPartitions: number): Promise<void> {
  const wanted = topicSpecs(prefix, defaultPartitions);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
    await waitForLeaders(admin, missing.map((t) => t.topic));
  }

  const present = wanted.filter((t) => existing.has(t.topic));
  if (present.length === 0) return;
  const { topics } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
  const grow = present.flatMap((t) => {
    const have = topics.find((m) => m.name === t.topic)?.partitions.length ?? 0;
    return have < (t.numPartitions ?? 1) ? [{ topic: t.topic, count: t.numPartitions ?? 1 }] : [];
  });
  if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
  await admin.alterConfigs({
    validateOnly: false,
    resources: present.map((t) => ({ type: 2 /* TOPIC */, name: t.topic, configEntries: t.configEntries ?? [] })),
  });
}
