// `npm run lake:sql -- "SELECT …"`: SQL over the lake (DuckDB), with a view per topic:
// pings, order_events, activity, dead_letters. `--csv` prints CSV instead of a table.
// Without a query, lists the views and their columns.
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfigOrExit } from '../lib/config';
import { topicNames } from '../lib/kafka/topics';
import { LAKE_TOPICS, type LakeTopic } from '../lib/lake/lake-schema';
import { createLakeViews } from '../lib/lake/lake-views';
import { formatResult } from '../lib/lake/format-result';

const args = process.argv.slice(2);
const csv = args.includes('--csv');
const query = args.filter((a) => a !== '--csv').join(' ').trim();

const config = loadConfigOrExit('lake:sql');
const names = topicNames(config.kafka.topicPrefix);
const topics = Object.fromEntries(LAKE_TOPICS.map((id) => [id, names[id]])) as Record<LakeTopic, string>;
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
try {
  const views = await createLakeViews(connection, config.lake.dir, topics);
  const sql = query || views.map((v) => `SELECT '${v}' AS view, column_name, data_type FROM (DESCRIBE ${v})`).join(' UNION ALL ');
  const reader = await connection.runAndReadAll(sql);
  process.stdout.write(formatResult(reader.columnNames(), reader.getRowsJS(), csv ? 'csv' : 'table'));
} catch (err) {
  console.error(`lake:sql: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  connection.closeSync();
  instance.closeSync();
}
