import { describe, expect, it } from 'vitest';
import { topicNames, topicSpecs } from './topics';

describe('topics', () => {
  it('declares every topic the design names, prefixed', () => {
    expect(topicNames('t.')).toEqual({
      courierLocations: 't.courier.locations',
      orderEvents: 't.order.events',
      userActivity: 't.user.activity',
      uniqueUsers: 't.stats.unique-users',
      deadLetters: 't.lastmile.dlq',
    });
  });

  it('compacts the per-minute stats topic and keeps it on one partition', () => {
    const stats = topicSpecs('', 6).find((t) => t.topic === 'stats.unique-users')!;
    expect(stats.numPartitions).toBe(1);
    expect(stats.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
  });

  it('gives keyed event topics the configured partition count', () => {
    const specs = topicSpecs('', 12);
    for (const name of ['courier.locations', 'order.events', 'user.activity']) {
      expect(specs.find((t) => t.topic === name)?.numPartitions).toBe(12);
    }
  });
});
