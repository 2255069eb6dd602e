// `npm run lake:sql -- "SELECT …"`: SQL over the lake (DuckDB), with a view per topic:
// pings, order_events, activity, dead_letters. `--csv` prints CSV instead of a table.
// Without a query, lists the views and their columns.
import { loadConfigOrExit } from '../lib/config';
import { formatResult } from '../lib/lake/format-result';
import { LAKE_TOPICS, LAKE_VIEWS } from '../lib/lake/lake-schema';
import { lakeTopicNames, openLake } from '../lib/lake/lake-views';

const args = process.argv.slice(2);
const csv = args.includes('--csv');
const query = args.filter((a) => a !== '--csv').join(' ').trim();

const config = loadConfigOrExit('lake:sql');
// analysts' queries may use both cores
const lake = await openLake(config.lake.dir, lakeTopicNames(config.kafka.topicPrefix), 2);
try {
  const sql = query || LAKE_TOPICS.map((t) => `SELECT '${LAKE_VIEWS[t]}' AS view, column_name, column_type FROM (DESCRIBE ${LAKE_VIEWS[t]})`).join(' UNION ALL ');
  const reader = await lake.connection.runAndReadAll(sql);
  process.stdout.write(formatResult(reader.columnNames(), reader.getRowsJS(), csv ? 'csv' : 'table'));
} catch (err) {
  console.error(`lake:sql: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  lake.close();
}
