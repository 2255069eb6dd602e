// The archiver's event check in C (native/lake-lines.c), fed rules compiled here from the same
// JSON Schemas ajv validates against. The C side proves a record valid only in the simple
// case those rules describe (a flat object, plain ASCII strings, numbers it reads exactly);
// any other record it leaves to lake-lines.ts, which asks ajv. So a record's line is the same
// either way, and the native check can only make it sooner. A schema, or a field, the
// compiler does not understand proves nothing: its records all go to ajv.
import { fileURLToPath } from 'node:url';
import { EVENT_TYPES, type EventType, SHARED_SCHEMAS } from '../events/registry';
import { type NativeAddon, addonPath, buildAddon, loadAddon } from '../native/addon';

const KIND = { unsupported: 0, string: 1, number: 2, integer: 3, boolean: 4, literals: 5 } as const;
/** Why a run stopped (result[2] of write). */
export const STOP = { done: 0, unproven: 1, room: 2, bytes: 3 } as const;

interface NativeLines {
  rules(program: Uint8Array): object;
  write(
    rules: object,
    bytes: Uint8Array,
    spans: Uint32Array,
    offsets: Float64Array,
    stamps: Float64Array,
    from: number,
    to: number,
    partition: number,
    out: Uint8Array,
    at: number,
    stopAfter: number,
    result: Float64Array,
  ): void;
}

type Schema = Record<string, unknown>;

interface Rule {
  kind: number;
  required: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  minLength?: number;
  maxLength?: number;
  /** The bytes a string may hold, as a 256-bit map. */
  classMap?: Uint8Array;
  /** Each allowed value as JSON text. */
  literals?: string[];
}

const ANNOTATIONS = new Set(['description', 'title', '$comment', 'examples']);
const ROOT_KEYS = new Set(['$schema', '$id', 'type', 'additionalProperties', 'required', 'properties', ...ANNOTATIONS]);
const defs = ((SHARED_SCHEMAS[0] as Schema).definitions ?? {}) as Record<string, Schema>;

/** A $ref's target (with its siblings, annotations only, dropped); unsupported elsewhere. */
function resolve(schema: Schema): Schema | null {
  if (schema.$ref === undefined) return schema;
  if (Object.keys(schema).some((k) => k !== '$ref' && !ANNOTATIONS.has(k))) return null;
  const m = /^_defs\.v1\.json#\/definitions\/([A-Za-z0-9_]+)$/.exec(String(schema.$ref));
  const target = m ? defs[m[1]!] : undefined;
  return target ? resolve(target) : null;
}

/** `^[class]{m,n}$`, `^[class]+$` or `^[class]*$` as a byte map and lengths; null for any other pattern. */
export function classPattern(pattern: string): { map: Uint8Array; min: number; max: number } | null {
  const m = /^\^\[([^\]\\^]+)\](?:\{(\d+),(\d+)\}|(\+)|(\*))\$$/.exec(pattern);
  if (!m) return null;
  const map = new Uint8Array(32);
  const set = (c: number) => (map[c >> 3]! |= 1 << (c & 7));
  const chars = m[1]!;
  for (let i = 0; i < chars.length; i++) {
    const c = chars.charCodeAt(i);
    if (c >= 0x80 || c < 0x20) return null;
    if (chars[i + 1] === '-' && i + 2 < chars.length) {
      const to = chars.charCodeAt(i + 2);
      if (to < c || to >= 0x80) return null;
      for (let x = c; x <= to; x++) set(x);
      i += 2;
    } else set(c);
  }
  if (m[4]) return { map, min: 1, max: Infinity };
  if (m[5]) return { map, min: 0, max: Infinity };
  return { map, min: Number(m[2]), max: Number(m[3]) };
}

function ruleOf(field: Schema, required: boolean): Rule {
  const schema = resolve(field);
  const unsupported = { kind: KIND.unsupported, required };
  if (!schema) return unsupported;
  const keys = Object.keys(schema).filter((k) => !ANNOTATIONS.has(k));
  if (schema.const !== undefined || schema.enum !== undefined) {
    if (keys.length !== 1) return unsupported;
    const values = schema.enum !== undefined ? (schema.enum as unknown[]) : [schema.const];
    // only values written one way: a string of plain ASCII, a safe integer
    const plain = values.length < 1000 && values.every((v) => (typeof v === 'string' && v.length < 1000 && /^[\x20-\x7e]*$/.test(v) && !/["\\]/.test(v)) || Number.isSafeInteger(v));
    return plain ? { kind: KIND.literals, required, literals: values.map((v) => JSON.stringify(v)) } : unsupported;
  }
  const allowed: Record<string, string[]> = {
    string: ['type', 'minLength', 'maxLength', 'pattern'],
    number: ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
    integer: ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
    boolean: ['type'],
  };
  const type = schema.type;
  if (typeof type !== 'string' || !allowed[type] || keys.some((k) => !allowed[type]!.includes(k))) return unsupported;
  if (type === 'boolean') return { kind: KIND.boolean, required };
  if (type === 'string') {
    let min = typeof schema.minLength === 'number' ? schema.minLength : 0;
    let max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    let classMap: Uint8Array | undefined;
    if (schema.pattern !== undefined) {
      const p = classPattern(String(schema.pattern));
      if (!p) return unsupported;
      [min, max, classMap] = [Math.max(min, p.min), Math.min(max, p.max), p.map];
    }
    return { kind: KIND.string, required, minLength: min, maxLength: max, ...(classMap && { classMap }) };
  }
  // draft-07's exclusive bounds are numbers of their own; both kinds on one side: not handled here
  if (typeof schema.minimum === 'number' && typeof schema.exclusiveMinimum === 'number') return unsupported;
  if (typeof schema.maximum === 'number' && typeof schema.exclusiveMaximum === 'number') return unsupported;
  const bound = (inclusive: unknown, exclusive: unknown): [number | undefined, boolean] =>
    typeof exclusive === 'number' ? [exclusive, true] : [typeof inclusive === 'number' ? inclusive : undefined, false];
  const [min, exclusiveMin] = bound(schema.minimum, schema.exclusiveMinimum);
  const [max, exclusiveMax] = bound(schema.maximum, schema.exclusiveMaximum);
  return { kind: type === 'integer' ? KIND.integer : KIND.number, required, min, max, exclusiveMin, exclusiveMax };
}

/**
 * The rules of an event type's versions, as the C side reads them: the field names (every
 * version's), then per version the rule of each field it has. Null when no version's schema
 * is of the flat kind.
 */
export function compileRules(type: EventType): Uint8Array | null {
  const versions = EVENT_TYPES[type].versions as Record<number, Schema>;
  const names: string[] = [];
  const compiled: [number, Map<string, Rule>][] = [];
  for (const [v, schema] of Object.entries(versions)) {
    const flat =
      Object.keys(schema).every((k) => ROOT_KEYS.has(k)) &&
      schema.type === 'object' &&
      schema.additionalProperties === false &&
      typeof schema.properties === 'object';
    if (!flat) continue; // its records all go to ajv
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const props = schema.properties as Record<string, Schema>;
    if ([...required].some((name) => !(name in props))) continue;
    // a name it cannot match as text: the version's records all go to ajv (a required one would be missed)
    if (Object.keys(props).some((name) => !/^[\x20-\x7e]*$/.test(name) || /["\\]/.test(name) || name.length > 1000)) continue;
    const rules = new Map<string, Rule>();
    for (const [name, field] of Object.entries(props)) {
      if (!names.includes(name)) names.push(name);
      rules.set(name, ruleOf(field, required.has(name)));
    }
    compiled.push([Number(v), rules]);
  }
  for (const name of ['type', 'version']) if (!names.includes(name)) return null;
  if (compiled.length === 0 || names.length > 128) return null;

  const bytes: number[] = [];
  const view = new DataView(new ArrayBuffer(8));
  const u8 = (x: number) => bytes.push(x & 0xff);
  const u16 = (x: number) => bytes.push(x & 0xff, (x >> 8) & 0xff);
  const f64 = (x: number | undefined) => {
    view.setFloat64(0, x === undefined ? Number.NaN : x, true);
    for (let i = 0; i < 8; i++) bytes.push(view.getUint8(i));
  };
  const text = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    u16(b.length);
    bytes.push(...b);
  };
  u16(names.length);
  u16(names.indexOf('type'));
  u16(names.indexOf('version'));
  for (const name of names) text(name);
  u16(compiled.length);
  for (const [version, rules] of compiled) {
    f64(version);
    for (const name of names) {
      const rule = rules.get(name);
      u8(rule ? 1 : 0);
      if (!rule) continue;
      u8(rule.kind);
      u8(rule.required ? 1 : 0);
      f64(rule.min);
      f64(rule.max);
      u8(rule.exclusiveMin ? 1 : 0);
      u8(rule.exclusiveMax ? 1 : 0);
      f64(rule.minLength ?? 0);
      f64(rule.maxLength ?? Infinity);
      u8(rule.classMap ? 1 : 0);
      if (rule.classMap) bytes.push(...rule.classMap);
      u16(rule.literals?.length ?? 0);
      for (const l of rule.literals ?? []) text(l);
    }
  }
  return Uint8Array.from(bytes);
}

const addon = (): NativeAddon => ({ source: fileURLToPath(new URL('./native/lake-lines.c', import.meta.url)), stem: 'lake-lines' });

export const buildNativeLines = (): string => buildAddon(addon());

/** A run of a batch's records, for NativeLineWriter.write. */
export interface RecordRun {
  bytes: Uint8Array;
  spans: Uint32Array;
  offsets: Float64Array;
  stamps: Float64Array;
}

export interface NativeLineWriter {
  /**
   * Writes the lines of records from..to-1 into out from `at`, stopping at the first it cannot
   * prove, at the end of out's room, or once `stopAfter` bytes are written: returns the next
   * record, where out's bytes end, and why it stopped.
   */
  write(run: RecordRun, from: number, to: number, partition: number, out: Uint8Array, at: number, stopAfter: number): { next: number; end: number; stop: number };
}

let loaded: { exports: NativeLines } | { exports: null; reason: string } | undefined;

/** The native check for an event type's records, or why there is none (not built, or no flat schema). */
export function nativeLineWriter(type: EventType): { writer: NativeLineWriter } | { writer: null; reason: string } {
  const program = compileRules(type);
  if (!program) return { writer: null, reason: `${type}'s schemas are not of the flat kind the native check proves` };
  loaded ??= loadAddon<NativeLines>(addonPath(addon()));
  if (!loaded.exports) return { writer: null, reason: loaded.reason };
  const native = loaded.exports;
  const rules = native.rules(program);
  const result = new Float64Array(3);
  return {
    writer: {
      write(run, from, to, partition, out, at, stopAfter) {
        native.write(rules, run.bytes, run.spans, run.offsets, run.stamps, from, to, partition, out, at, stopAfter, result);
        return { next: result[0]!, end: result[1]!, stop: result[2]! };
      },
    },
  };
}
