import { describe, expect, it } from 'vitest';
import type { Db } from '../db/client';
import { completeSender } from '../kafka/complete-send';
import { leakyProducer } from '../kafka/leaky-producer-fixture';
import { type EmitDeps, emitWindows } from './emit-windows';
import type { WindowStore } from './window-store';

const START = 1_800_000_000;
const due = Array.from({ length: 10 }, (_, i) => ({
  window: 'minute' as const,
  start: START + 60 * i,
  uniqueUsers: 100 + i,
  lateEvents: i,
  futureEvents: 0,
  final: true,
  signature: `${100 + i},${i},0,1`,
  version: '1',
}));

/**
 * The emitter over a complete send by a leaky producer (its first `failing` answers leave a
 * partition out); `acked` records what the topic held when the windows were marked emitted.
 */
function emitter(failing: number) {
  const producer = leakyProducer(failing);
  const { written } = producer;
  const acked: { windows: number; written: number }[] = [];
  const published: string[] = [];
  const deps: EmitDeps = {
    store: {
      collect: async () => ({ watermark: START + 3600, windows: due }),
      ack: async (_epoch: string, windows: unknown[]) => void acked.push({ windows: windows.length, written: written.length }),
    } as unknown as WindowStore,
    epoch: { current: () => 'e1', lost: async () => {} },
    db: { $executeRawUnsafe: async () => 0 } as unknown as Db,
    send: completeSender(producer, async () => 6, { acks: -1, rounds: 3 }),
    topic: 'stats.unique-users',
    channel: 'stats',
    publish: async (_channel, message) => published.push(message),
    partitions: async () => [{ partition: 0, end: 10 }],
    allowedLatenessSec: 60,
    partitionIdleMs: 1_000,
  };
  return { deps, written, acked, published, calls: producer.calls };
}

describe('emitting windows', () => {
  it('marks the windows emitted only once every partition of their send is acknowledged, though an answer left one out', async () => {
    const e = emitter(1);
    const figures = await emitWindows(e.deps);
    expect(e.calls()).toBe(2);
    expect(e.acked).toEqual([{ windows: 10, written: 10 }]);
    const sent = e.written.map(({ topic, message }) => ({ topic, key: message.key, value: JSON.parse(String(message.value)) as unknown }));
    expect(sent.sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual(
      figures.map((f) => ({ topic: 'stats.unique-users', key: `minute:${new Date(f.start * 1000).toISOString()}`, value: f })),
    );
    expect(e.published).toEqual([JSON.stringify(figures)]);
  });

  it('marks no window emitted, nor announces any, while a partition of their send is never acknowledged', async () => {
    const e = emitter(Infinity);
    await expect(emitWindows(e.deps)).rejects.toThrow('left out stats.unique-users/');
    expect(e.acked).toEqual([]);
    expect(e.published).toEqual([]);
  });
});
