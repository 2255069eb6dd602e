// The unique-users windows in Redis, where the activity worker keeps them between batches.
//
// Per partition: a state hash (the last offset applied and the watermark as of it), a user
// set per open window, and a sorted set of its open windows by end. Per window: a figures
// hash with each partition's distinct users (`u<p>`) and late events (`l<p>`), a change
// counter (`v`) and what was last emitted (`e`). A batch is applied by one script that first
// checks the partition's applied offset: a batch replayed after a crash, or applied by
// another worker after a rebalance, is refused and the caller re-reads the state. So the
// sets, counts and watermark move exactly once per frame, and a restart classifies every
// frame (in time or late) as the first pass did.
//
// The scripts build their key names from a prefix, so this needs one Redis, not a cluster.
import type { Redis } from 'ioredis';
import type { ActivityGroup, WindowName } from './classify-activity';

/** How long the figures of a closed window and the hourly HyperLogLogs are kept. */
export const WINDOW_TTL_SEC = 35 * 86_400;

const APPLY = `
local P, part = ARGV[1], ARGV[2]
local state = P .. 'p' .. part
local applied = redis.call('HGET', state, 'offset') or '-1'
if applied ~= ARGV[3] then return {0, applied, redis.call('HGET', state, 'wm') or ''} end
local names, sizes = {'m', 'h', 'd'}, {60, 3600, 86400}
local open = state .. ':open'
local touched = {}
local i = 9
-- a list of uids: k, then k uids, or k = 0 and the uids joined by newlines ('' for none)
local function list()
  local k, uids = tonumber(ARGV[i]), {}
  if k == 0 then
    for uid in string.gmatch(ARGV[i + 1], '[^\\n]+') do uids[#uids + 1] = uid end
    i = i + 2
  else
    for c = i + 1, i + k do uids[#uids + 1] = ARGV[c] end
    i = i + 1 + k
  end
  return uids
end
for _ = 1, tonumber(ARGV[8]) do
  -- a group: level, minute, frames, then the uids to add to the minute's, the hour's and the
  -- day's user sets and to the hour's HyperLogLog (the caller leaves out those it added before)
  local level, minute, frames = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  i = i + 3
  local adds = {list(), list(), list(), list()}
  for r = 1, 3 do
    local start = minute - minute % sizes[r]
    local window = names[r] .. ':' .. string.format('%d', start)
    local figures = P .. 'w:' .. window
    if r <= level then
      redis.call('HINCRBY', figures, 'l' .. part, frames)
    else
      local users, uids = state .. ':u:' .. window, adds[r]
      for c = 1, #uids, 1000 do redis.call('SADD', users, unpack(uids, c, math.min(c + 999, #uids))) end
      redis.call('ZADD', open, start + sizes[r], window)
      redis.call('HSET', figures, 'u' .. part, redis.call('SCARD', users))
    end
    if not touched[window] then
      touched[window] = true
      redis.call('HINCRBY', figures, 'v', 1)
      redis.call('EXPIRE', figures, ${WINDOW_TTL_SEC})
      redis.call('SADD', P .. 'dirty', window)
    end
  end
  local hll, uids = P .. 'hll:' .. string.format('%d', minute - minute % 3600), adds[4]
  for c = 1, #uids, 1000 do redis.call('PFADD', hll, unpack(uids, c, math.min(c + 999, #uids))) end
  redis.call('EXPIRE', hll, ${WINDOW_TTL_SEC})
end
if ARGV[5] ~= '' then
  local wm = tonumber(ARGV[5])
  local old = redis.call('HGET', state, 'wm')
  if not old or wm > tonumber(old) then redis.call('HSET', state, 'wm', ARGV[5], 'at', ARGV[6]) end
  -- windows no frame can join any more in this partition: release their user sets
  local limit = tonumber(redis.call('HGET', state, 'wm')) - tonumber(ARGV[7])
  for _, window in ipairs(redis.call('ZRANGEBYSCORE', open, '-inf', limit)) do
    redis.call('DEL', state .. ':u:' .. window)
  end
  redis.call('ZREMRANGEBYSCORE', open, '-inf', limit)
end
redis.call('HSET', state, 'offset', ARGV[4])
redis.call('SADD', P .. 'parts', part)
return {1}`;

// The stream's watermark: the lowest of the partitions still receiving event time (an idle
// partition stops holding the others back), or the highest when all are idle. Returns it
// and every dirty window that ended before it whose figures differ from what was emitted.
const COLLECT = `
local P = ARGV[1]
local now, idle, lateness = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local active, newest
for _, part in ipairs(redis.call('SMEMBERS', P .. 'parts')) do
  local s = redis.call('HMGET', P .. 'p' .. part, 'wm', 'at')
  local wm, at = tonumber(s[1]), tonumber(s[2])
  if wm then
    if not newest or wm > newest then newest = wm end
    if now - at < idle and (not active or wm < active) then active = wm end
  end
end
local watermark = active or newest
if not watermark then return {} end
local sizes = {m = 60, h = 3600, d = 86400}
local out = {tostring(watermark)}
for _, window in ipairs(redis.call('SMEMBERS', P .. 'dirty')) do
  local name, start = string.match(window, '^(%a):(%d+)$')
  local finish = tonumber(start) + sizes[name]
  if finish <= watermark then
    local fields = redis.call('HGETALL', P .. 'w:' .. window)
    local users, late, version, emitted = 0, 0, '0', ''
    for f = 1, #fields, 2 do
      local k, v = fields[f], fields[f + 1]
      local c = string.sub(k, 1, 1)
      if c == 'u' then users = users + tonumber(v)
      elseif c == 'l' then late = late + tonumber(v)
      elseif k == 'v' then version = v
      elseif k == 'e' then emitted = v end
    end
    local final = (finish + lateness <= watermark) and '1' or '0'
    local signature = string.format('%d,%d,%s', users, late, final)
    if signature ~= emitted then
      table.insert(out, window)
      table.insert(out, signature)
      table.insert(out, version)
    elseif final == '1' then
      redis.call('SREM', P .. 'dirty', window)
    end
  end
end
return out`;

// ARGV: prefix, then (window, signature, version) triples from COLLECT, once stored elsewhere.
// A window changed since (its version moved) stays dirty and is emitted again.
const ACK = `
local P = ARGV[1]
for i = 2, #ARGV, 3 do
  local figures = P .. 'w:' .. ARGV[i]
  redis.call('HSET', figures, 'e', ARGV[i + 1])
  local final = string.sub(ARGV[i + 1], -1) == '1'
  if final and (redis.call('HGET', figures, 'v') or '0') == ARGV[i + 2] then redis.call('SREM', P .. 'dirty', ARGV[i]) end
end
return 1`;

interface StoreCommands {
  statsApply(numKeys: 0, ...args: (string | number)[]): Promise<[0, string, string] | [1]>;
  statsCollect(numKeys: 0, ...args: (string | number)[]): Promise<string[]>;
  statsAck(numKeys: 0, ...args: (string | number)[]): Promise<number>;
}

/** Called by createRedis on every client before its first command (see lib/redis/client.ts). */
export function defineStatsCommands(redis: Redis): void {
  redis.defineCommand('statsApply', { lua: APPLY });
  redis.defineCommand('statsCollect', { lua: COLLECT });
  redis.defineCommand('statsAck', { lua: ACK });
}

function withCommands(redis: Redis): Redis & StoreCommands {
  if (!('statsApply' in redis)) throw new Error('this Redis client lacks the stats commands: create it with createRedis');
  return redis as Redis & StoreCommands;
}

export interface PartitionState {
  /** Last offset applied, -1 for none. */
  offset: number;
  /** Greatest event time applied, -Infinity for none. */
  watermark: number;
}

const toState = (offset: string | null, wm: string | null): PartitionState => ({
  offset: Number(offset ?? -1),
  watermark: wm ? Number(wm) : -Infinity,
});

export async function readPartitionState(redis: Redis, prefix: string, partition: number): Promise<PartitionState> {
  const [offset, wm] = await redis.hmget(`${prefix}p${partition}`, 'offset', 'wm');
  return toState(offset ?? null, wm ?? null);
}

export interface BatchToApply {
  partition: number;
  /** The state the groups were classified against. */
  from: PartitionState;
  /** Offset of the batch's last message, and the watermark after it. */
  offset: number;
  watermark: number;
  groups: BatchGroup[];
}

/**
 * A group as applied: its distinct uids, and optionally, of those, the ones each of its
 * targets lacks as far as the caller knows (see SentUids): the minute's, hour's and day's
 * user sets and the hour's HyperLogLog. Without that, every uid goes to every target.
 */
export type BatchGroup = ActivityGroup & { lacking?: UidTargets };
export type UidTargets = [minute: string[], hour: string[], day: string[], hll: string[]];

/** The uids joined by newlines (one string to copy and send, not thousands), or listed when one holds a newline. */
function encodeUids(args: (string | number)[], uids: string[]): void {
  if (uids.some((uid) => uid.includes('\n'))) args.push(uids.length, ...uids);
  else args.push(0, uids.join('\n'));
}

/** Applies a batch, or returns the partition's actual state when `from` is not it any more. */
export async function applyBatch(
  redis: Redis,
  prefix: string,
  allowedLatenessSec: number,
  batch: BatchToApply,
  nowMs = Date.now(),
): Promise<{ ok: true } | { ok: false; state: PartitionState }> {
  const args: (string | number)[] = [
    prefix,
    batch.partition,
    String(batch.from.offset),
    String(batch.offset),
    Number.isFinite(batch.watermark) ? String(batch.watermark) : '',
    nowMs,
    allowedLatenessSec,
    batch.groups.length,
  ];
  for (const g of batch.groups) {
    args.push(g.level, g.minute, g.frames);
    for (const uids of g.lacking ?? [g.uids, g.uids, g.uids, g.uids]) encodeUids(args, uids);
  }
  const result = await withCommands(redis).statsApply(0, ...args);
  return result[0] === 1 ? { ok: true } : { ok: false, state: toState(result[1], result[2] || null) };
}

export interface WindowFigures {
  window: WindowName;
  /** Start, epoch seconds. */
  start: number;
  uniqueUsers: number;
  lateEvents: number;
  /** The stream's watermark has passed the window's end plus the allowed lateness. */
  final: boolean;
}

export interface Collected {
  watermark: number | null;
  windows: (WindowFigures & { signature: string; version: string })[];
}

export async function collectWindows(
  redis: Redis,
  prefix: string,
  options: { allowedLatenessSec: number; partitionIdleMs: number; nowMs?: number },
): Promise<Collected> {
  const out = await withCommands(redis).statsCollect(0, prefix, options.nowMs ?? Date.now(), options.partitionIdleMs, options.allowedLatenessSec);
  if (out.length === 0) return { watermark: null, windows: [] };
  const windows: Collected['windows'] = [];
  for (let i = 1; i < out.length; i += 3) {
    const [name, start] = out[i]!.split(':') as [WindowName, string];
    const [users, late, final] = out[i + 1]!.split(',');
    windows.push({ window: name, start: Number(start), uniqueUsers: Number(users), lateEvents: Number(late), final: final === '1', signature: out[i + 1]!, version: out[i + 2]! });
  }
  return { watermark: Number(out[0]), windows };
}

export async function ackWindows(redis: Redis, prefix: string, windows: Collected['windows']): Promise<void> {
  if (windows.length === 0) return;
  await withCommands(redis).statsAck(0, prefix, ...windows.flatMap((w) => [`${w.window}:${w.start}`, w.signature, w.version]));
}

/** The current figures of windows, emitted or not (open windows show their users so far). */
export async function liveFigures(redis: Redis, prefix: string, windows: { window: WindowName; start: number }[]) {
  const pipeline = redis.pipeline();
  for (const w of windows) pipeline.hgetall(`${prefix}w:${w.window}:${w.start}`);
  const replies = (await pipeline.exec()) ?? [];
  return windows.map((w, i) => {
    const fields = (replies[i]?.[1] ?? {}) as Record<string, string>;
    let uniqueUsers = 0;
    let lateEvents = 0;
    for (const [k, v] of Object.entries(fields)) {
      if (k[0] === 'u') uniqueUsers += Number(v);
      else if (k[0] === 'l') lateEvents += Number(v);
    }
    return { ...w, uniqueUsers, lateEvents };
  });
}

/**
 * Distinct users active from `fromSec` to `toSec`, by whole UTC hours (the hours the range
 * touches), from hourly HyperLogLogs: approximate, standard error 0.81%.
 */
export async function distinctUsersBetween(redis: Redis, prefix: string, fromSec: number, toSec: number): Promise<number> {
  const keys: string[] = [];
  for (let h = fromSec - (fromSec % 3600); h < toSec; h += 3600) keys.push(`${prefix}hll:${h}`);
  if (keys.length === 0) return 0;
  return redis.pfcount(...(keys as [string, ...string[]]));
}

/** The key prefix of one activity topic's windows. */
export const statsPrefix = (activityTopic: string) => `stats:${activityTopic}:`;
