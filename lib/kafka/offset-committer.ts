// Commits a consumer's offsets at most once an interval per partition instead of after every
// batch: each commit is a write to the broker's offsets log and a round trip on the
// connection the fetches use. Only for a worker whose own store fences replays (the activity
// worker's applied offsets in Redis): an older commit then only means that more is fetched
// again after a crash or a rebalance, and skipped.

export interface OffsetToCommit {
  partition: number;
  /** The next offset to read (the last applied + 1), as kafkajs takes it. */
  offset: string;
}

export interface OffsetCommitterOptions {
  commit(offsets: OffsetToCommit[]): Promise<void>;
  everyMs: number;
  /** A commit failed; its offsets are committed again with the next, unless newer ones are due by then. */
  failed(err: unknown, offsets: OffsetToCommit[]): void;
  now?: () => number;
}

export interface OffsetCommitter {
  /** A batch is applied up to `offset` (exclusive): committed now if the partition's interval has passed. */
  applied(partition: number, offset: string): Promise<void>;
  /** Commits every offset due, in one request. */
  flush(): Promise<void>;
  /** Drops what is due (after a rebalance: the partitions may be another member's now), or one partition's. */
  forget(partition?: number): void;
  /** Flushes every `everyMs`, so an idle partition's last batch is committed too. */
  start(): void;
  stop(): void;
}

export function offsetCommitter({ commit, everyMs, failed, now = Date.now }: OffsetCommitterOptions): OffsetCommitter {
  const due = new Map<number, string>();
  const lastCommit = new Map<number, number>();
  let timer: ReturnType<typeof setInterval> | undefined;

  async function send(partitions: number[]) {
    const offsets = partitions.flatMap((partition) => {
      const offset = due.get(partition);
      if (offset === undefined) return [];
      due.delete(partition);
      lastCommit.set(partition, now());
      return [{ partition, offset }];
    });
    if (offsets.length === 0) return;
    try {
      await commit(offsets);
    } catch (err) {
      for (const { partition, offset } of offsets) if (!due.has(partition)) due.set(partition, offset);
      failed(err, offsets);
    }
  }

  return {
    async applied(partition, offset) {
      due.set(partition, offset);
      if (now() - (lastCommit.get(partition) ?? -Infinity) >= everyMs) await send([partition]);
    },
    flush: () => send([...due.keys()]),
    forget: (partition) => (partition === undefined ? due.clear() : due.delete(partition)),
    start() {
      timer ??= setInterval(() => void send([...due.keys()]), everyMs);
      timer.unref?.();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
