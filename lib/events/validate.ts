// Validation at the edge and in the workers, from the same compiled schemas.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FieldIssue } from '../http/errors';
import { EVENT_TYPES, type EventType, SHARED_SCHEMAS, isEventType, schemaId } from './registry';

const MAX_ISSUES_PER_EVENT = 10;
/**
 * How deep an event may nest, counting the event object as level 1. Types that allow extra
 * fields (user.activity) would otherwise carry any depth into the publish path, where
 * JSON.stringify overflows the stack long before Kafka sees the event.
 */
export const MAX_EVENT_DEPTH = 32;
const MAX_POINTER_CHARS = 200;

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
for (const schema of SHARED_SCHEMAS) ajv.addSchema(schema);

const validators = new Map<string, ValidateFunction>();
for (const type of Object.keys(EVENT_TYPES) as EventType[]) {
  for (const [version, schema] of Object.entries(EVENT_TYPES[type].versions)) {
    validators.set(schemaId(type, Number(version)), ajv.compile(schema));
  }
}

export interface ValidEvent {
  type: EventType;
  version: number;
  schemaId: string;
  event: Record<string, unknown>;
}

export type Validation = { ok: true; value: ValidEvent } | { ok: false; issues: FieldIssue[] };

function fieldOf(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${String(error.params.missingProperty)}`;
  if (error.keyword === 'additionalProperties') return `${error.instancePath}/${String(error.params.additionalProperty)}`;
  return error.instancePath || '/';
}

function messageOf(error: ErrorObject, field: string): string {
  const name = field === '/' ? 'event' : field.slice(1);
  switch (error.keyword) {
    case 'required':
      return `${name} is required`;
    case 'additionalProperties':
      return `${name} is not a known field`;
    case 'enum':
      return `${name} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${name} must be ${JSON.stringify(error.params.allowedValue)}`;
    default:
      return `${name} ${error.message ?? 'is invalid'}`;
  }
}

export function toIssues(errors: ErrorObject[], index?: number): FieldIssue[] {
  // "if/then" and "anyOf" report a summary beside the concrete failures: keep the concrete ones.
  const concrete = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf');
  return (concrete.length > 0 ? concrete : errors).slice(0, MAX_ISSUES_PER_EVENT).map((error) => {
    const field = fieldOf(error);
    const issue: FieldIssue = { field, rule: error.keyword, message: messageOf(error, field) };
    return index === undefined ? issue : { index, ...issue };
  });
}

function issue(field: string, rule: string, message: string, index?: number): FieldIssue[] {
  return [index === undefined ? { field, rule, message } : { index, field, rule, message }];
}

const pointerPart = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** The JSON pointer of the first object or array nested deeper than `limit`, or undefined. Iterative: no stack to overflow. */
export function tooDeepAt(value: unknown, limit = MAX_EVENT_DEPTH): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 1 }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > limit) return next.path;
    for (const [key, child] of Object.entries(next.value)) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, path: `${next.path}/${pointerPart(key)}`, depth: next.depth + 1 });
    }
  }
  return undefined;
}

function depthIssues(event: object, index?: number): FieldIssue[] | undefined {
  const at = tooDeepAt(event);
  if (at === undefined) return undefined;
  const field = at.length > MAX_POINTER_CHARS ? `${at.slice(0, MAX_POINTER_CHARS)}…` : at;
  return issue(field, 'maxDepth', `${field} is nested more than ${MAX_EVENT_DEPTH} levels deep (the most an event may nest)`, index);
}

/**
 * Validates one event against the schema its `type` and `version` name. Without a version,
 * the first version's schema decides (it requires one where the type needs it).
 */
export function validateEvent(input: unknown, index?: number): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: issue('/', 'type', 'event must be a JSON object', index) };
  }
  const tooDeep = depthIssues(input, index);
  if (tooDeep) return { ok: false, issues: tooDeep };
  const event = input as Record<string, unknown>;
  if (event.type === undefined) return { ok: false, issues: issue('/type', 'required', 'type is required', index) };
  if (!isEventType(event.type)) {
    const allowed = Object.keys(EVENT_TYPES).map((t) => JSON.stringify(t)).join(', ');
    return { ok: false, issues: issue('/type', 'enum', `type must be one of ${allowed}`, index) };
  }
  const spec = EVENT_TYPES[event.type];
  const version = event.version === undefined ? 1 : event.version;
  if (typeof version !== 'number' || !Object.hasOwn(spec.versions, version)) {
    const allowed = Object.keys(spec.versions).join(', ');
    return { ok: false, issues: issue('/version', 'enum', `version must be one of ${allowed}`, index) };
  }
  const id = schemaId(event.type, version);
  const validate = validators.get(id)!;
  if (!validate(event)) return { ok: false, issues: toIssues(validate.errors ?? [], index) };
  return { ok: true, value: { type: event.type, version, schemaId: id, event } };
}

/** Validates against one schema id directly (used by the compatibility test). */
export function validatorFor(id: string): ValidateFunction {
  const validate = validators.get(id);
  if (!validate) throw new Error(`no schema ${id}`);
  return validate;
}
