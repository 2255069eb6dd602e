-- AlterTable
ALTER TABLE "unique_users_minute" ADD COLUMN     "final" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "unique_users_hour" (
    "hour" TIMESTAMPTZ(0) NOT NULL,
    "unique_users" INTEGER NOT NULL,
    "late_events" INTEGER NOT NULL DEFAULT 0,
    "final" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "unique_users_hour_pkey" PRIMARY KEY ("hour")
);

-- CreateTable
CREATE TABLE "unique_users_day" (
    "day" TIMESTAMPTZ(0) NOT NULL,
    "unique_users" INTEGER NOT NULL,
    "late_events" INTEGER NOT NULL DEFAULT 0,
    "final" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "unique_users_day_pkey" PRIMARY KEY ("day")
);

-- CreateTable
CREATE TABLE "ingest_samples" (
    "at" TIMESTAMPTZ(3) NOT NULL,
    "topic" TEXT NOT NULL,
    "total" BIGINT NOT NULL,

    CONSTRAINT "ingest_samples_pkey" PRIMARY KEY ("topic","at")
);

-- CreateIndex
CREATE INDEX "ingest_samples_at_idx" ON "ingest_samples"("at");

