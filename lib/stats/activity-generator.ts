// Deterministic user-activity frames, as real log streams look: `uid` and `ts` at the root,
// anywhere among other fields (in either order, ts sometimes a numeric string), nested
// objects and arrays that also have `uid`/`ts` keys, strings with escapes and non-ASCII
// text, 1.5-2 KB a frame. The same options give the same frames, byte for byte.
import { type Grain, windowStart } from './grains';

export interface ActivityOptions {
  seed: number;
  users: number;
  frames: number;
  /** Event time of the first frame, epoch seconds. */
  startSec: number;
  /** Frames per second of event time. */
  ratePerSec: number;
  /** Most frames are this many seconds out of order at most. */
  disorderSec: number;
  /** Share of frames that arrive late by `lateBySec` on top of the disorder. */
  lateFraction: number;
  lateBySec: number;
}

export interface GeneratedFrame {
  text: string;
  uid: string;
  ts: number;
}

/** mulberry32: small, fast, good enough for test data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const utf8 = new TextEncoder();
const WORDS = ['checkout', 'search', 'página', '注文', 'café ☕', 'line\nbreak', 'tab\there', 'quote "q"', 'back\\slash', 'emoji 😀', 'ok'];
const PAGES = ['/home', '/menu', '/cart', '/orders/123', '/track?o=9&t=x', '/ajuda'];

export function* activityFrames(o: ActivityOptions): Generator<GeneratedFrame> {
  const rnd = random(o.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  for (let i = 0; i < o.frames; i++) {
    // a skewed choice of user: some users are much more active than others
    const uid = `u${Math.floor(o.users * rnd() ** 2)}`;
    let ts = o.startSec + i / o.ratePerSec - rnd() * o.disorderSec;
    if (rnd() < o.lateFraction) ts -= o.lateBySec;
    ts = Math.max(0, rnd() < 0.5 ? Math.floor(ts) : Math.round(ts * 1000) / 1000);
    const tsField: number | string = rnd() < 0.15 ? String(Math.floor(ts)) : ts;
    const fields: [string, unknown][] = [
      ['event', pick(['page_view', 'click', 'add_to_cart', 'purchase'])],
      ['session', { uid: `s-${Math.floor(rnd() * 1e9)}`, ts: Math.floor(rnd() * 1e9), started: pick(WORDS) }],
      ['page', { path: pick(PAGES), title: pick(WORDS), referrer: rnd() < 0.5 ? null : pick(PAGES) }],
      ['items', Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, k) => ({ sku: `sku-${k}`, qty: 1 + Math.floor(rnd() * 3), price: Math.round(rnd() * 10000) / 100, name: pick(WORDS) }))],
      ['device', { ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36', lang: pick(['pt-BR', 'en', 'es', 'zh-CN']), ok: rnd() < 0.9 }],
      ['history', Array.from({ length: 3 }, () => ({ uid: `u${Math.floor(rnd() * o.users)}`, ts: Math.floor(o.startSec - rnd() * 86_400) }))],
    ];
    const root: [string, unknown][] = [['uid', uid], ['ts', tsField]];
    for (const f of fields) root.splice(Math.floor(rnd() * (root.length + 1)), 0, f);
    const target = 1536 + Math.floor(rnd() * 512);
    const base = JSON.stringify(Object.fromEntries(root));
    // `,"pad":"…"` adds 9 bytes besides the padding, in place of the closing brace it re-adds
    const pad = Math.max(0, target - utf8.encode(base).length - 9);
    const text = `${base.slice(0, -1)},"pad":"${'x'.repeat(pad)}"}`;
    yield { text, uid, ts: Number(tsField) };
  }
}

/** Exact distinct users per window of a grain (epoch seconds of the window start) of a set of frames. */
export function exactUniqueUsers(frames: Iterable<{ uid: string; ts: number }>, grain: Grain = 'minute'): Map<number, number> {
  const sets = new Map<number, Set<string>>();
  for (const { uid, ts } of frames) {
    const start = windowStart(grain, ts);
    let set = sets.get(start);
    if (!set) sets.set(start, (set = new Set()));
    set.add(uid);
  }
  return new Map([...sets].sort(([a], [b]) => a - b).map(([m, s]) => [m, s.size]));
}

/** Exact distinct users per minute (epoch seconds of the minute start) of a set of frames. */
export const exactUniqueUsersPerMinute = (frames: Iterable<{ uid: string; ts: number }>) => exactUniqueUsers(frames, 'minute');
