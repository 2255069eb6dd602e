// Samples how many messages each event topic has ever held (the sum of its partitions' end
// offsets). The ingest rate over any range is the difference between two samples divided by
// the time between them, whoever produced the messages (the ingest API, a bulk load). Old
// samples go with their day (lib/db/history-maintenance.ts).
import type { Admin } from 'kafkajs';
import type { Db } from '../db/client';
import { historyGuard } from '../db/history-partitions';

export async function sampleIngest(admin: Admin, db: Db, topics: string[], at = new Date()): Promise<void> {
  const totals = await Promise.all(
    topics.map(async (topic) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + BigInt(p.high), 0n).toString()),
  );
  await historyGuard(db, 'ingest_samples').insert([at.getTime()], () => db.$executeRaw`
    INSERT INTO ingest_samples (at, topic, total)
    SELECT ${at}, topic, total FROM unnest(${topics}::text[], ${totals}::bigint[]) AS x(topic, total)
    ON CONFLICT DO NOTHING`);
}
