-- Tracker apps and devices sending OsmAnd positions for couriers
CREATE TABLE "devices" (
    "id" TEXT NOT NULL,
    "courier_id" TEXT NOT NULL,
    "source_id" TEXT NOT NULL DEFAULT 'default',
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "devices_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "devices_courier_id_idx" ON "devices"("courier_id");
