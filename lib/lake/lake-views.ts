// DuckDB over the lake: one view per archived topic (lake-schema.ts's LAKE_VIEWS), reading
// its Parquet files with the Hive folders as columns (date, hour), plus occurred_at as a
// timestamp for the event topics. A topic without files yet is an empty view of its columns.
import { resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type TopicNames, topicNames } from '../kafka/topics';
import { hasFiles } from './lake-files';
import { DEAD_LETTER_COLUMNS, FRAME_COLUMN, LAKE_TOPICS, LAKE_VIEWS, type LakeTopic, eventColumns, eventTypeOf, keepsFrame, quoteIdent } from './lake-schema';

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

function occurredAt(topic: LakeTopic): string {
  if (topic === 'userActivity') return 'to_timestamp(ts) AS occurred_at';
  if (topic === 'deadLetters') return 'kafka_timestamp AS occurred_at';
  return 'make_timestamp("occurredAt" * 1000) AS occurred_at';
}

function emptyView(topic: LakeTopic): string {
  const type = eventTypeOf(topic);
  const fields = type ? eventColumns(type) : DEAD_LETTER_COLUMNS;
  const columns = [
    ...fields.map(([name, t]) => `NULL::${t} AS ${quoteIdent(name)}`),
    ...(keepsFrame(topic) ? [`NULL::JSON AS ${FRAME_COLUMN}`] : []),
    'NULL::INTEGER AS kafka_partition',
    'NULL::BIGINT AS kafka_offset',
    'NULL::TIMESTAMP AS kafka_timestamp',
    'NULL::DATE AS date',
    'NULL::BIGINT AS hour',
  ];
  return `SELECT ${columns.join(', ')} WHERE false`;
}

/** The parquet glob of a topic's files. */
export const topicGlob = (lakeDir: string, topic: string) => `${resolve(lakeDir)}/topic=${topic}/date=*/hour=*/*.parquet`;

/** Creates (or replaces) the views over the lake on this connection; returns their names. */
export async function createLakeViews(connection: DuckDBConnection, lakeDir: string, topics: Record<LakeTopic, string>): Promise<string[]> {
  for (const topic of LAKE_TOPICS) {
    const source = (await hasFiles(lakeDir, topics[topic]))
      ? `SELECT * FROM read_parquet(${sqlString(topicGlob(lakeDir, topics[topic]))}, hive_partitioning = true, union_by_name = true)`
      : emptyView(topic);
    await connection.run(`CREATE OR REPLACE VIEW ${LAKE_VIEWS[topic]} AS SELECT *, ${occurredAt(topic)} FROM (${source})`);
  }
  return LAKE_TOPICS.map((t) => LAKE_VIEWS[t]);
}

export interface LakeConnection {
  connection: DuckDBConnection;
  close(): void;
}

/**
 * An in-memory DuckDB with the lake's views. One thread by default: a file written from it
 * comes out the same bytes for the same records.
 */
export async function openLake(lakeDir: string, topics: Record<LakeTopic, string>, threads = 1): Promise<LakeConnection> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    await createLakeViews(connection, lakeDir, topics);
  } catch (err) {
    connection.closeSync();
    instance.closeSync();
    throw err;
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The archived topics' names among a deployment's topics. */
export const lakeTopicsOf = (names: TopicNames) => Object.fromEntries(LAKE_TOPICS.map((id) => [id, names[id]])) as Record<LakeTopic, string>;

/** The archived topics' names in a deployment of this topic prefix. */
export const lakeTopicNames = (topicPrefix: string) => lakeTopicsOf(topicNames(topicPrefix));
