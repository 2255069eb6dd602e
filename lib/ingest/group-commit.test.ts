import { describe, expect, it } from 'vitest';
import type { TopicMessages } from 'kafkajs';
import { GroupCommit, mergeTopicMessages } from './group-commit';

const req = (topic: string, ...values: string[]): TopicMessages[] => [{ topic, messages: values.map((value) => ({ key: 'k', value })) }];

function deferredSender() {
  const sends: { topicMessages: TopicMessages[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  const send = (topicMessages: TopicMessages[]) => new Promise<void>((resolve, reject) => sends.push({ topicMessages, resolve, reject }));
  return { sends, send };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('mergeTopicMessages', () => {
  it('groups by topic and keeps each request in order', () => {
    expect(mergeTopicMessages([req('a', '1', '2'), req('b', 'x'), req('a', '3')])).toEqual([
      { topic: 'a', messages: ['1', '2', '3'].map((value) => ({ key: 'k', value })) },
      { topic: 'b', messages: [{ key: 'k', value: 'x' }] },
    ]);
  });
});

describe('GroupCommit', () => {
  it('sends the first request at once and the ones that wait together', async () => {
    const { sends, send } = deferredSender();
    const gc = new GroupCommit(send);
    const settled: string[] = [];
    const p1 = gc.publish(req('a', '1')).then(() => settled.push('1'));
    const p2 = gc.publish(req('a', '2')).then(() => settled.push('2'));
    const p3 = gc.publish(req('b', '3')).then(() => settled.push('3'));
    await tick();
    expect(sends).toHaveLength(1);
    sends[0]!.resolve();
    await p1;
    expect(settled).toEqual(['1']); // 2 and 3 are not acknowledged before their own send
    await tick();
    expect(sends).toHaveLength(2);
    expect(sends[1]!.topicMessages).toEqual(mergeTopicMessages([req('a', '2'), req('b', '3')]));
    sends[1]!.resolve();
    await Promise.all([p2, p3]);
    expect(settled).toEqual(['1', '2', '3']);
  });

  it('fails every request of a failed send, and goes on with the next', async () => {
    const { sends, send } = deferredSender();
    const gc = new GroupCommit(send);
    const first = gc.publish(req('a', '1'));
    const second = gc.publish(req('a', '2'));
    const third = gc.publish(req('a', '3'));
    await tick();
    sends[0]!.resolve();
    await first;
    await tick();
    sends[1]!.reject(new Error('broker away'));
    await expect(second).rejects.toThrow('broker away');
    await expect(third).rejects.toThrow('broker away');
    const fourth = gc.publish(req('a', '4'));
    await tick();
    sends[2]!.resolve();
    await expect(fourth).resolves.toBeUndefined();
  });

  it('keeps a send under the byte limit', async () => {
    const { sends, send } = deferredSender();
    const gc = new GroupCommit(send, 10);
    const all = [gc.publish(req('a', 'xxxx')), gc.publish(req('a', 'yyyy')), gc.publish(req('a', 'zzzz')), gc.publish(req('a', 'w'.repeat(50)))];
    for (let i = 0; i < 4; i++) {
      await tick();
      sends[i]?.resolve();
    }
    await tick();
    sends.at(-1)?.resolve();
    await Promise.all(all);
    // each small request is 5 bytes with its key: the first goes alone (nothing in flight),
    // the next two fill a 10-byte send, and the 51-byte one goes alone although over the limit
    expect(sends.map((s) => s.topicMessages[0]!.messages.map((m) => m.value))).toEqual([['xxxx'], ['yyyy', 'zzzz'], ['w'.repeat(50)]]);
  });
});
