import { Partitioners, type RecordMetadata, type TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { completeSender } from './complete-send';

type Sent = TopicMessages[];

/** A producer whose answers leave out the partitions `leaveOut` says, per call. */
function producer(leaveOut: (call: number) => number[], fail?: (call: number) => Error | undefined) {
  const calls: Sent[] = [];
  return {
    calls,
    async sendBatch({ topicMessages }: { topicMessages: Sent }): Promise<RecordMetadata[]> {
      const call = calls.push(topicMessages) - 1;
      const err = fail?.(call);
      if (err) throw err;
      const partitions = new Set(topicMessages.flatMap((t) => t.messages.map((m) => `${t.topic}|${m.partition}`)));
      return [...partitions]
        .map((tp) => ({ topicName: tp.split('|')[0]!, partition: Number(tp.split('|')[1]), errorCode: 0 }))
        .filter((m) => !leaveOut(call).includes(m.partition)) as RecordMetadata[];
    },
  };
}

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `courier-${i}`, value: `v${i}` }));
const six = async () => 6;

describe('a complete send', () => {
  it("puts each message where kafkajs's default partitioner would", async () => {
    const p = producer(() => []);
    await completeSender(p, six)([{ topic: 't', messages: messages(200) }]);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [], isr: [], partitionErrorCode: 0 }));
    for (const m of p.calls[0]![0]!.messages) expect(m.partition).toBe(partitioner({ topic: 't', partitionMetadata, message: { key: m.key, value: m.value } }));
  });

  it('sends again only the partitions an answer left out, in their order, until each is acknowledged', async () => {
    const missing: string[][] = [];
    const p = producer((call) => (call === 0 ? [1, 4] : call === 1 ? [4] : []));
    const acked = await completeSender(p, six, { onMissing: (m) => missing.push(m) })([{ topic: 't', messages: messages(120) }]);
    expect(missing).toEqual([['t/1', 't/4'], ['t/4']]);
    expect(p.calls).toHaveLength(3);
    const first = p.calls[0]![0]!.messages;
    expect(p.calls[1]![0]!.messages).toEqual(first.filter((m) => m.partition === 1 || m.partition === 4));
    expect(p.calls[2]![0]!.messages).toEqual(first.filter((m) => m.partition === 4));
    expect(acked.map((m) => m.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('fails when a partition is never acknowledged, and when a send fails', async () => {
    await expect(completeSender(producer(() => [2]), six, { rounds: 3 })([{ topic: 't', messages: messages(60) }])).rejects.toThrow('left out t/2 after 3 sends');
    await expect(completeSender(producer(() => [], () => new Error('broker gone')), six)([{ topic: 't', messages: messages(6) }])).rejects.toThrow('broker gone');
  });
});
