-- Frames dated past their Kafka record's time plus the tolerance, per window
ALTER TABLE "unique_users_minute" ADD COLUMN "future_events" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "unique_users_hour" ADD COLUMN "future_events" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "unique_users_day" ADD COLUMN "future_events" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "unique_users_month" (
    "month" TIMESTAMPTZ(0) NOT NULL,
    "unique_users" INTEGER NOT NULL,
    "late_events" INTEGER NOT NULL DEFAULT 0,
    "future_events" INTEGER NOT NULL DEFAULT 0,
    "final" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "unique_users_month_pkey" PRIMARY KEY ("month")
);
