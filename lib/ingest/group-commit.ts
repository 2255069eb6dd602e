// Group commit for the ingest producer. kafkajs sends one request at a time per broker on an
// idempotent producer, so requests that arrive while a send is in flight wait, then go to
// Kafka together in the next send. Each caller's promise settles with the send that carried
// its messages: nobody hears 202 before Kafka has their events.
import type { Message, TopicMessages } from 'kafkajs';

interface Waiting {
  topicMessages: TopicMessages[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const sizeOf = (topicMessages: TopicMessages[]) =>
  topicMessages.reduce((sum, t) => sum + t.messages.reduce((s, m) => s + byteLength(m.value) + byteLength(m.key), 0), 0);

function byteLength(value: Message['value'] | Message['key']): number {
  if (value == null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Messages of several requests as one send, grouped by topic, each request's order kept. */
export function mergeTopicMessages(groups: TopicMessages[][]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const group of groups) {
    for (const { topic, messages } of group) {
      const list = byTopic.get(topic);
      if (list) list.push(...messages);
      else byTopic.set(topic, [...messages]);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export class GroupCommit {
  private queue: Waiting[] = [];
  private sending = false;

  /**
   * @param send one Kafka send; resolves once acknowledged
   * @param maxBytes a send carries at most this much (a lone larger request still goes alone),
   *   kept below the broker's message.max.bytes
   */
  constructor(
    private readonly send: (topicMessages: TopicMessages[]) => Promise<unknown>,
    private readonly maxBytes = 800 * 1024,
  ) {}

  publish(topicMessages: TopicMessages[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topicMessages, bytes: sizeOf(topicMessages), resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.queue.length > 0) {
      let bytes = this.queue[0]!.bytes;
      let count = 1;
      while (count < this.queue.length && bytes + this.queue[count]!.bytes <= this.maxBytes) bytes += this.queue[count++]!.bytes;
      const batch = this.queue.splice(0, count);
      try {
        await this.send(mergeTopicMessages(batch.map((w) => w.topicMessages)));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.sending = false;
  }
}
