// What the lake holds per topic: the archived topics, the view analysts query each by, and
// each file's columns. An event topic's columns are its event's own fields, from the same
// schemas the ingest validates against (every version's fields), then the Kafka record's
// partition, offset and timestamp.
import { EVENT_TYPES, type EventType, SHARED_SCHEMAS } from '../events/registry';
import type { TopicId } from '../kafka/topics';

export const LAKE_TOPICS = ['courierLocations', 'orderEvents', 'userActivity', 'deadLetters'] as const;
export type LakeTopic = (typeof LAKE_TOPICS)[number];

/** The view `npm run lake:sql` names each topic's files by. */
export const LAKE_VIEWS: Record<LakeTopic, string> = {
  courierLocations: 'pings',
  orderEvents: 'order_events',
  userActivity: 'activity',
  deadLetters: 'dead_letters',
};

/** The event type a topic carries (none: the dead letters, which hold anything). */
export function eventTypeOf(topic: LakeTopic): EventType | undefined {
  return (Object.keys(EVENT_TYPES) as EventType[]).find((type) => (EVENT_TYPES[type].topic as TopicId) === topic);
}

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
};

const defs = (SHARED_SCHEMAS[0] as JsonSchema).definitions ?? {};
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The DuckDB type a JSON Schema's values take. */
export function duckType(schema: JsonSchema): string {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    const target = defs[name];
    if (!target) throw new Error(`unknown schema reference ${schema.$ref}`);
    return duckType(target);
  }
  const values = schema.enum ?? (schema.const !== undefined ? [schema.const] : undefined);
  if (values) return values.every((v) => typeof v === 'number' && Number.isInteger(v)) ? 'INTEGER' : 'VARCHAR';
  if (schema.anyOf) {
    const types = new Set(schema.anyOf.map(duckType));
    // a number that may come as a numeric string (user.activity's ts) is a number
    return types.has('DOUBLE') ? 'DOUBLE' : [...types][0]!;
  }
  switch (schema.type) {
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'object':
      return `STRUCT(${Object.entries(schema.properties ?? {}).map(([k, v]) => `${quote(k)} ${duckType(v)}`).join(', ')})`;
    default:
      return 'VARCHAR';
  }
}

/** An event type's fields, every version's, newest version's order first, with their DuckDB types. */
export function eventColumns(type: EventType): [string, string][] {
  const spec = EVENT_TYPES[type];
  const columns = new Map<string, string>();
  const versions = Object.keys(spec.versions).map(Number).sort((a, b) => b - a);
  for (const v of versions) {
    const schema = (spec.versions as Record<number, JsonSchema>)[v]!;
    for (const [name, field] of Object.entries(schema.properties ?? {})) if (!columns.has(name)) columns.set(name, duckType(field));
  }
  return [...columns];
}

/** The dead letters' columns: the message as it was, and why it could not be applied (toDeadLetter's headers). */
export const DEAD_LETTER_COLUMNS: [string, string][] = [
  ['key', 'VARCHAR'],
  ['value', 'VARCHAR'],
  ['reason', 'VARCHAR'],
  ['source_topic', 'VARCHAR'],
  ['source_partition', 'INTEGER'],
  ['source_offset', 'BIGINT'],
  ['worker', 'VARCHAR'],
  ['dead_lettered_at', 'VARCHAR'],
];

export const KAFKA_COLUMNS = ['kafka_partition', 'kafka_offset', 'kafka_timestamp'] as const;

/**
 * Open-schema events (user.activity allows any other field): the whole frame is kept too, as
 * JSON in this column, so nothing the sender sent is lost.
 */
export const FRAME_COLUMN = 'frame';
export const keepsFrame = (topic: LakeTopic) => topic === 'userActivity';

export { quote as quoteIdent };
