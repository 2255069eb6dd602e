-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "dropoff_lat" DOUBLE PRECISION,
ADD COLUMN     "dropoff_lng" DOUBLE PRECISION,
ADD COLUMN     "last_seq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pickup_lat" DOUBLE PRECISION,
ADD COLUMN     "pickup_lng" DOUBLE PRECISION,
ALTER COLUMN "created_at" DROP DEFAULT;

-- CreateTable
CREATE TABLE "order_events" (
    "event_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "courier_id" TEXT,
    "reason" TEXT,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "order_anomalies" (
    "event_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_anomalies_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE INDEX "order_events_order_id_idx" ON "order_events"("order_id");

-- CreateIndex
CREATE INDEX "order_anomalies_order_id_idx" ON "order_anomalies"("order_id");

-- CreateIndex
CREATE INDEX "order_anomalies_detected_at_idx" ON "order_anomalies"("detected_at");

