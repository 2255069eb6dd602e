-- The append-only tables that grow with traffic become partitioned by UTC day of their
-- time column, so a day past retention is dropped as a whole (lib/db/history-partitions.ts)
-- instead of deleted row by row. A unique key on a partitioned table must hold the partition
-- key: each one gains the time column, which an event carries in its payload, so a replay
-- still meets the row it wrote. Every row is copied, nothing else changes.
BEGIN;

-- The day partition of `parent` for `day`, created if missing: a table of the shape of the parent,
-- attached (SHARE UPDATE EXCLUSIVE on the parent: inserts carry on). Safe to call at once
-- from several processes. Returns whether it created one.
CREATE FUNCTION lastmile_ensure_day_partition(parent text, day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  child text := parent || '_p' || to_char(day, 'YYYYMMDD');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('lastmile partition ' || child));
  IF EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = parent::regclass AND c.relname = child) THEN
    RETURN false;
  END IF;
  -- a table of that name left detached (a drop that stopped half-way) is dropped, not taken back
  IF to_regclass(quote_ident(child)) IS NOT NULL THEN
    EXECUTE format('DROP TABLE %I', child);
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING STORAGE)', child, parent);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, child,
                 (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
  RETURN true;
END $$;

-- courier_location_history, by occurred_at
ALTER TABLE "courier_location_history" RENAME TO "courier_location_history_unpartitioned";
ALTER INDEX "courier_location_history_pkey" RENAME TO "courier_location_history_unpartitioned_pkey";
ALTER INDEX "courier_location_history_courier_id_occurred_at_idx" RENAME TO "courier_location_history_unpartitioned_courier_idx";
ALTER INDEX "courier_location_history_order_id_occurred_at_idx" RENAME TO "courier_location_history_unpartitioned_order_idx";
CREATE TABLE "courier_location_history" (
    "event_id" TEXT NOT NULL,
    "courier_id" TEXT NOT NULL,
    "order_id" TEXT,
    "lat" DOUBLE PRECISION NOT NULL,
    "lng" DOUBLE PRECISION NOT NULL,
    "accuracy_m" DOUBLE PRECISION,
    "speed_mps" DOUBLE PRECISION,
    "heading" DOUBLE PRECISION,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "courier_location_history_pkey" PRIMARY KEY ("event_id", "occurred_at")
) PARTITION BY RANGE ("occurred_at");
CREATE INDEX "courier_location_history_courier_id_occurred_at_idx" ON "courier_location_history"("courier_id", "occurred_at");
CREATE INDEX "courier_location_history_order_id_occurred_at_idx" ON "courier_location_history"("order_id", "occurred_at");

-- order_events, by occurred_at
ALTER TABLE "order_events" RENAME TO "order_events_unpartitioned";
ALTER INDEX "order_events_pkey" RENAME TO "order_events_unpartitioned_pkey";
ALTER INDEX "order_events_order_id_idx" RENAME TO "order_events_unpartitioned_order_idx";
CREATE TABLE "order_events" (
    "event_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "courier_id" TEXT,
    "reason" TEXT,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_events_pkey" PRIMARY KEY ("event_id", "occurred_at")
) PARTITION BY RANGE ("occurred_at");
CREATE INDEX "order_events_order_id_idx" ON "order_events"("order_id");

-- notifications, by created_at, and the id sequence moves to the new table
ALTER SEQUENCE "notifications_id_seq" OWNED BY NONE;
ALTER TABLE "notifications" RENAME TO "notifications_unpartitioned";
ALTER TABLE "notifications_unpartitioned" ALTER COLUMN "id" DROP DEFAULT;
ALTER TABLE "notifications_unpartitioned" RENAME CONSTRAINT "notifications_order_id_fkey" TO "notifications_unpartitioned_order_id_fkey";
ALTER INDEX "notifications_pkey" RENAME TO "notifications_unpartitioned_pkey";
ALTER INDEX "notifications_event_id_key" RENAME TO "notifications_unpartitioned_event_id_key";
ALTER INDEX "notifications_order_id_seq_key" RENAME TO "notifications_unpartitioned_order_id_seq_key";
CREATE TABLE "notifications" (
    "id" BIGINT NOT NULL DEFAULT nextval('notifications_id_seq'),
    "order_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id", "created_at")
) PARTITION BY RANGE ("created_at");
ALTER SEQUENCE "notifications_id_seq" OWNED BY "notifications"."id";
CREATE UNIQUE INDEX "notifications_event_id_created_at_key" ON "notifications"("event_id", "created_at");
CREATE UNIQUE INDEX "notifications_order_id_seq_created_at_key" ON "notifications"("order_id", "seq", "created_at");
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ingest_samples, by at
ALTER TABLE "ingest_samples" RENAME TO "ingest_samples_unpartitioned";
ALTER INDEX "ingest_samples_pkey" RENAME TO "ingest_samples_unpartitioned_pkey";
ALTER INDEX "ingest_samples_at_idx" RENAME TO "ingest_samples_unpartitioned_at_idx";
CREATE TABLE "ingest_samples" (
    "at" TIMESTAMPTZ(3) NOT NULL,
    "topic" TEXT NOT NULL,
    "total" BIGINT NOT NULL,
    CONSTRAINT "ingest_samples_pkey" PRIMARY KEY ("topic", "at")
) PARTITION BY RANGE ("at");
CREATE INDEX "ingest_samples_at_idx" ON "ingest_samples"("at");

-- the days the old tables hold, then their rows
SELECT lastmile_ensure_day_partition('courier_location_history', d)
  FROM (SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date AS d FROM "courier_location_history_unpartitioned") days;
SELECT lastmile_ensure_day_partition('order_events', d)
  FROM (SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date AS d FROM "order_events_unpartitioned") days;
SELECT lastmile_ensure_day_partition('notifications', d)
  FROM (SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date AS d FROM "notifications_unpartitioned") days;
SELECT lastmile_ensure_day_partition('ingest_samples', d)
  FROM (SELECT DISTINCT (at AT TIME ZONE 'UTC')::date AS d FROM "ingest_samples_unpartitioned") days;

INSERT INTO "courier_location_history" SELECT * FROM "courier_location_history_unpartitioned";
INSERT INTO "order_events" SELECT * FROM "order_events_unpartitioned";
INSERT INTO "notifications" SELECT * FROM "notifications_unpartitioned";
INSERT INTO "ingest_samples" SELECT * FROM "ingest_samples_unpartitioned";

DROP TABLE "courier_location_history_unpartitioned";
DROP TABLE "order_events_unpartitioned";
DROP TABLE "notifications_unpartitioned";
DROP TABLE "ingest_samples_unpartitioned";

COMMIT;
