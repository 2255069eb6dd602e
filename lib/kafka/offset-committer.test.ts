import { afterEach, describe, expect, it, vi } from 'vitest';
import { type OffsetToCommit, offsetCommitter } from './offset-committer';

function committer(everyMs = 1000) {
  let clock = 0;
  const commits: OffsetToCommit[][] = [];
  const failures: OffsetToCommit[][] = [];
  let failNext = false;
  const c = offsetCommitter({
    everyMs,
    now: () => clock,
    commit: async (offsets) => {
      if (failNext) {
        failNext = false;
        throw new Error('rebalance in progress');
      }
      commits.push(offsets);
    },
    failed: (_err, offsets) => failures.push(offsets),
  });
  return { c, commits, failures, advance: (ms: number) => (clock += ms), failOnce: () => (failNext = true) };
}

afterEach(() => void vi.useRealTimers());

describe('offsetCommitter', () => {
  it('commits a partition at most once an interval, the latest offset when it does', async () => {
    const { c, commits, advance } = committer();
    await c.applied(0, '10');
    await c.applied(0, '20');
    await c.applied(1, '5');
    advance(999);
    await c.applied(0, '30');
    expect(commits).toEqual([[{ partition: 0, offset: '10' }], [{ partition: 1, offset: '5' }]]);
    advance(1);
    await c.applied(0, '40');
    expect(commits.at(-1)).toEqual([{ partition: 0, offset: '40' }]);
  });

  it('flushes everything due in one request, and nothing twice', async () => {
    const { c, commits } = committer();
    await c.applied(0, '10');
    await c.applied(1, '7');
    await c.applied(0, '12');
    await c.applied(2, '3');
    await c.applied(1, '9');
    commits.length = 0;
    await c.flush();
    expect(commits).toEqual([[{ partition: 0, offset: '12' }, { partition: 1, offset: '9' }]]);
    await c.flush();
    expect(commits).toHaveLength(1);
  });

  it('commits an idle partition on its timer', async () => {
    vi.useFakeTimers();
    const { c, commits } = committer(500);
    c.start();
    await c.applied(3, '1');
    await c.applied(3, '2'); // within the interval: due, not sent
    expect(commits).toEqual([[{ partition: 3, offset: '1' }]]);
    await vi.advanceTimersByTimeAsync(500);
    expect(commits.at(-1)).toEqual([{ partition: 3, offset: '2' }]);
    c.stop();
    await c.applied(3, '3');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(commits.at(-1)).toEqual([{ partition: 3, offset: '2' }]);
  });

  it('keeps a failed commit due unless a newer offset is, and forgets on a rebalance', async () => {
    const { c, commits, failures, failOnce, advance } = committer();
    failOnce();
    await c.applied(0, '10');
    expect(failures).toEqual([[{ partition: 0, offset: '10' }]]);
    await c.flush();
    expect(commits).toEqual([[{ partition: 0, offset: '10' }]]);

    advance(1000);
    await c.applied(1, '4');
    await c.applied(1, '6');
    c.forget();
    await c.flush();
    expect(commits.at(-1)).toEqual([{ partition: 1, offset: '4' }]);
  });
});
