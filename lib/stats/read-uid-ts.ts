// Reads the top-level `uid` and `ts` of an activity frame straight from its bytes, without
// building the object JSON.parse would: it checks the whole frame against the JSON grammar,
// skips every other value, and decodes only the two it needs (a key or value with escapes
// is decoded on its own). Past a nesting depth it says UNSURE and the caller parses.
// Equal to `referenceUidTs` on every input (property-tested).
//
// Most of a frame's bytes are inside strings, so strings are scanned four bytes at a time
// (a word test for a quote, a backslash or a control byte), and a byte at a time only
// around those.

export interface UidTs {
  uid: string;
  /** Event time, epoch seconds. */
  ts: number;
}

export const UNSURE = Symbol('unsure');

const TS_STRING = /^[0-9]{1,11}(\.[0-9]+)?$/;
const MAX_TS = 99_999_999_999;
const MAX_DEPTH = 64;

function valid(uid: unknown, ts: unknown): UidTs | null {
  if (typeof uid !== 'string' || uid.length < 1 || uid.length > 128) return null;
  if (typeof ts === 'number') return Number.isFinite(ts) && ts >= 0 && ts <= MAX_TS ? { uid, ts } : null;
  if (typeof ts === 'string' && TS_STRING.test(ts)) return { uid, ts: Number(ts) };
  return null;
}

/** What a frame means, by JSON.parse: null when it is not JSON or has no valid uid and ts. */
export function referenceUidTs(text: string): UidTs | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { uid, ts } = parsed as { uid?: unknown; ts?: unknown };
  return valid(uid, ts);
}

class Invalid extends Error {}
class Unsure extends Error {}
const INVALID = new Invalid();
const NOT_SURE = new Unsure();

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_OBJ = 123, CLOSE_OBJ = 125, OPEN_ARR = 91, CLOSE_ARR = 93;
const isDigit = (b: number) => b >= 48 && b <= 57;
const isHex = (b: number) => isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);

// Word tests (exact for "some byte of the word is…", whatever the byte order):
// a byte below 0x20, and a zero byte (after an XOR with the byte looked for).
const ONES = 0x01010101, HIGHS = 0x80808080 | 0;
const QUOTES = 0x22222222, BACKSLASHES = 0x5c5c5c5c, SPACES = 0x20202020;
/** Strings shorter than this are scanned a byte at a time. */
const WORDS_FROM = 16;

/** Whether a word (as int32) has a quote, a backslash or a control byte. */
const special = (w: number) => {
  const q = w ^ QUOTES;
  const s = w ^ BACKSLASHES;
  return (((w - SPACES) & ~w) | ((q - ONES) & ~q) | ((s - ONES) & ~s)) & HIGHS;
};

/** Word views of whole buffers, one per buffer: a fetch's frames share its buffer. */
const wordViews = new WeakMap<ArrayBufferLike, Uint32Array>();
function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  let words = wordViews.get(buffer);
  if (!words) wordViews.set(buffer, (words = new Uint32Array(buffer, 0, Math.floor(buffer.byteLength / 4))));
  return words;
}

class Scanner {
  b: Uint8Array = new Uint8Array(0);
  pos = 0;
  /** Whether the last string scanned had an escape. */
  escaped = false;
  /** The 4-byte words of b's buffer, looked up when a long string first needs them. */
  private words?: Uint32Array;

  /** Scans another frame (one scanner serves every frame: nothing here is re-entered). */
  reset(b: Uint8Array): this {
    this.b = b;
    this.pos = 0;
    this.escaped = false;
    this.words = undefined;
    return this;
  }

  /** The first index from p on whose byte is a quote, a backslash or below 0x20; b.length if none. */
  private plain(p: number): number {
    const b = this.b;
    const n = b.length;
    const short = Math.min(n, p + WORDS_FROM);
    for (; p < short; p++) {
      const c = b[p]!;
      if (c <= BACKSLASH && (c === QUOTE || c === BACKSLASH || c < 0x20)) return p;
    }
    if (p >= n) return n;
    const words = (this.words ??= wordsOf(b.buffer));
    const base = b.byteOffset;
    // bytes up to a word boundary, the words wholly inside the frame, then the bytes after them
    let i = Math.ceil((base + p) / 4);
    const end = Math.floor((base + n) / 4);
    for (const to = Math.min(n, 4 * i - base); p < to; p++) {
      const c = b[p]!;
      if (c <= BACKSLASH && (c === QUOTE || c === BACKSLASH || c < 0x20)) return p;
    }
    while (i < end && special(words[i]! | 0) === 0) i++;
    for (p = Math.max(p, 4 * i - base); p < n; p++) {
      const c = b[p]!;
      if (c <= BACKSLASH && (c === QUOTE || c === BACKSLASH || c < 0x20)) return p;
    }
    return n;
  }

  ws(): void {
    const b = this.b;
    let p = this.pos;
    while (p < b.length && (b[p] === 32 || b[p] === 10 || b[p] === 13 || b[p] === 9)) p++;
    this.pos = p;
  }

  expect(byte: number): void {
    if (this.b[this.pos] !== byte) throw INVALID;
    this.pos++;
  }

  /** Scans a string; returns the offset after its opening quote. */
  string(): number {
    const b = this.b;
    this.expect(QUOTE);
    const start = this.pos;
    this.escaped = false;
    for (let p = this.plain(start); p < b.length; p = this.plain(p + 1)) {
      const c = b[p]!;
      if (c === QUOTE) {
        this.pos = p + 1;
        return start;
      }
      if (c < 0x20) throw INVALID;
      // a backslash
      this.escaped = true;
      const e = b[++p];
      if (e === 117 /* u */) {
        if (!(isHex(b[p + 1] ?? 0) && isHex(b[p + 2] ?? 0) && isHex(b[p + 3] ?? 0) && isHex(b[p + 4] ?? 0))) throw INVALID;
        p += 4;
      } else if (e !== QUOTE && e !== BACKSLASH && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) {
        throw INVALID;
      }
    }
    throw INVALID;
  }

  number(): void {
    const b = this.b;
    let p = this.pos;
    if (b[p] === 45 /* - */) p++;
    if (b[p] === 48 /* 0 */) p++;
    else if (isDigit(b[p] ?? 0)) while (isDigit(b[p] ?? 0)) p++;
    else throw INVALID;
    if (b[p] === 46 /* . */) {
      p++;
      if (!isDigit(b[p] ?? 0)) throw INVALID;
      while (isDigit(b[p] ?? 0)) p++;
    }
    if (b[p] === 101 || b[p] === 69 /* e E */) {
      p++;
      if (b[p] === 43 || b[p] === 45) p++;
      if (!isDigit(b[p] ?? 0)) throw INVALID;
      while (isDigit(b[p] ?? 0)) p++;
    }
    this.pos = p;
  }

  literal(word: string): void {
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word.charCodeAt(i)) throw INVALID;
    this.pos += word.length;
  }

  /** Skips any JSON value, checking it. */
  value(depth: number): void {
    const c = this.b[this.pos];
    if (c === QUOTE) this.string();
    else if (c === OPEN_OBJ) this.container(CLOSE_OBJ, depth, true);
    else if (c === OPEN_ARR) this.container(CLOSE_ARR, depth, false);
    else if (c === 116) this.literal('true');
    else if (c === 102) this.literal('false');
    else if (c === 110) this.literal('null');
    else if (c === 45 || isDigit(c ?? 0)) this.number();
    else throw INVALID;
  }

  container(close: number, depth: number, keyed: boolean): void {
    if (depth >= MAX_DEPTH) throw NOT_SURE;
    this.pos++;
    this.ws();
    if (this.b[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      if (keyed) {
        this.string();
        this.ws();
        this.expect(COLON);
        this.ws();
      }
      this.value(depth + 1);
      this.ws();
      const c = this.b[this.pos++];
      if (c === close) return;
      if (c !== COMMA) throw INVALID;
      this.ws();
    }
  }
}

// ignoreBOM: keep a U+FEFF where it is, as JSON.parse sees it (the default strips it).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A JSON string literal (quotes included) already checked by the scanner, decoded exactly. */
const literal = (b: Uint8Array, start: number, end: number) => JSON.parse(decoder.decode(b.subarray(start, end))) as string;

/** Bytes to text the way the reference reads a frame. */
export const decodeFrame = (bytes: Uint8Array) => decoder.decode(bytes);
/** Bytes as Latin-1 text, for short runs (cheaper than a decoder call or a spread). */
function latin1(b: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let p = start; p < end; p++) text += String.fromCharCode(b[p]!);
  return text;
}

/** A string's bytes (no escapes) as text: ASCII directly, anything else by the decoder. */
function utf8(b: Uint8Array, start: number, end: number): string {
  for (let p = start; p < end; p++) if (b[p]! >= 0x80) return decoder.decode(b.subarray(start, end));
  return latin1(b, start, end);
}

/** A JSON number already checked by the scanner: plain integers (exact below 2^53) directly. */
function numberAt(b: Uint8Array, start: number, end: number): number {
  if (end - start > 15) return Number(latin1(b, start, end));
  let value = 0;
  for (let p = start; p < end; p++) {
    const digit = b[p]! - 48;
    if (digit < 0 || digit > 9) return Number(latin1(b, start, end)); // a sign, a fraction or an exponent
    value = value * 10 + digit;
  }
  return value;
}

/**
 * A top-level value already checked by a scanner, as JSON.parse gives it where it can be a
 * uid or ts (a string or a number); null for anything else. `escaped`: whether a string
 * value has escapes (then JSON.parse decodes it).
 */
function valueAt(b: Uint8Array, start: number, end: number, escaped: boolean, isUid: boolean): unknown {
  const first = b[start];
  if (first === QUOTE) {
    if (escaped) return literal(b, start, end);
    return isUid ? utf8(b, start + 1, end - 1) : latin1(b, start + 1, end - 1);
  }
  if (first === 45 || isDigit(first ?? 0)) return numberAt(b, start, end);
  return null; // true, false, null, object, array: not a uid or ts
}

/**
 * The uid and ts of a frame whose grammar was checked elsewhere (the native scan), from where
 * its last top-level uid and ts values lie in `b` (start, end; -1 where absent).
 */
export function uidTsAt(b: Uint8Array, uidStart: number, uidEnd: number, tsStart: number, tsEnd: number): UidTs | null {
  if (uidStart < 0 || tsStart < 0) return null;
  return valid(valueAt(b, uidStart, uidEnd, hasBackslash(b, uidStart, uidEnd), true), valueAt(b, tsStart, tsEnd, hasBackslash(b, tsStart, tsEnd), false));
}

function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  if (b[start] !== QUOTE) return false;
  for (let p = start + 1; p < end - 1; p++) if (b[p] === BACKSLASH) return true;
  return false;
}

const scanner = new Scanner();

/** The frame's uid and ts; null when the frame is invalid; UNSURE when JSON.parse must decide. */
export function readUidTs(bytes: Uint8Array): UidTs | null | typeof UNSURE {
  const s = scanner.reset(bytes);
  let uid: unknown;
  let ts: unknown;
  try {
    s.ws();
    if (bytes[s.pos] !== OPEN_OBJ) {
      // not an object: valid JSON or not, the frame has no uid
      return null;
    }
    s.pos++;
    s.ws();
    if (bytes[s.pos] === CLOSE_OBJ) s.pos++;
    else {
      for (;;) {
        const keyStart = s.string();
        const keyLength = s.pos - 1 - keyStart;
        let key: 'uid' | 'ts' | undefined;
        if (s.escaped) {
          // rare: decode just this key (it may spell uid or ts with escapes)
          const decoded = literal(bytes, keyStart - 1, s.pos);
          key = decoded === 'uid' || decoded === 'ts' ? decoded : undefined;
        } else if (keyLength === 3 && bytes[keyStart] === 117 && bytes[keyStart + 1] === 105 && bytes[keyStart + 2] === 100) key = 'uid';
        else if (keyLength === 2 && bytes[keyStart] === 116 && bytes[keyStart + 1] === 115) key = 'ts';
        s.ws();
        s.expect(COLON);
        s.ws();
        const valueStart = s.pos;
        s.value(1);
        if (key) {
          const value = valueAt(bytes, valueStart, s.pos, s.escaped, key === 'uid');
          if (key === 'uid') uid = value;
          else ts = value;
        }
        s.ws();
        const c = bytes[s.pos++];
        if (c === CLOSE_OBJ) break;
        if (c !== COMMA) throw INVALID;
        s.ws();
      }
    }
    s.ws();
    if (s.pos !== bytes.length) return null; // trailing bytes: JSON.parse refuses the frame
  } catch (err) {
    if (err === NOT_SURE) return UNSURE;
    if (err === INVALID) return null;
    throw err;
  }
  return valid(uid, ts);
}

/** The fast reader, falling back to JSON.parse where it is unsure. */
export function uidTsOf(bytes: Uint8Array): UidTs | null {
  const fast = readUidTs(bytes);
  return fast === UNSURE ? referenceUidTs(decodeFrame(bytes)) : fast;
}
