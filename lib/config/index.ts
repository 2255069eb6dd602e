// The one place the environment is read. Every variable is documented in .env.example.
import { parseOpsUsers } from '../auth/ops-credentials';
import type { QualityRules } from '../quality/fix-rules';
import { ConfigError, type Env, readEnum, readSecret, readHostPorts, readInt, readParsed, readString, readUrl } from './env';

export { ConfigError };

const HOUR_MS = 60 * 60 * 1000;
/** Local use only: a server listening beyond loopback refuses it (lib/config/shared-secrets.ts). */
const DEV_SECRET = 'lastmile-local-development-secret';
/** Local use only, like DEV_SECRET. */
const DEV_OPS_USERS = 'ops:lastmile';

const READERS = ['auto', 'native', 'js'] as const;
const FETCH_BUFFERS = ['pooled', 'kafkajs'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env) {
  const publicUrl = readString(env, 'PUBLIC_URL', '');
  return {
    host: readString(env, 'HOST', '127.0.0.1'),
    port: readInt(env, 'PORT', 3000, 0, 65535),
    /** The OsmAnd protocol's own port (Traccar's 5055); 0: none (it is under /osmand on the main port too). */
    osmandPort: readInt(env, 'OSMAND_PORT', 5055, 0, 65535),
    publicUrl,
    // Next inlines it into the pages at build time; the server's CSP allows its tile host
    tileUrl: readString(env, 'NEXT_PUBLIC_TILE_URL', ''),
    logLevel: readEnum(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    kafka: {
      brokers: readHostPorts(env, 'KAFKA_BROKERS', '127.0.0.1:9092'),
      clientId: readString(env, 'KAFKA_CLIENT_ID', 'lastmile'),
      topicPrefix: readString(env, 'KAFKA_TOPIC_PREFIX', ''),
      partitions: readInt(env, 'KAFKA_PARTITIONS', 6, 1, 1024),
      // Each process signs in as its own user (lib/kafka/principals.ts, lib/kafka/credentials.ts).
      saslMechanism: readEnum(env, 'KAFKA_SASL_MECHANISM', 'scram-sha-512', ['scram-sha-512', 'none'] as const),
      username: readString(env, 'KAFKA_USERNAME', ''),
      password: readParsed(env, 'KAFKA_PASSWORD', '', (password) => {
        const username = readString(env, 'KAFKA_USERNAME', '');
        if (username && !password) throw new Error(`expected the password of KAFKA_USERNAME ${username}`);
        if (password && !username) throw new Error('set without KAFKA_USERNAME');
        return password;
      }),
      usersFile: readString(env, 'KAFKA_USERS_FILE', '.infra/kafka-users.json'),
    },
    redisUrl: readUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    databaseUrl: readUrl(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/lastmile', ['postgres:', 'postgresql:']),
    ingest: {
      maxBodyBytes: readInt(env, 'INGEST_MAX_BODY_BYTES', 512 * 1024, 1024, 900 * 1024),
      maxBatch: readInt(env, 'INGEST_MAX_BATCH', 500, 1, 5000),
      maxFutureMs: readInt(env, 'INGEST_MAX_FUTURE_SECONDS', 300, 0, 86_400) * 1000,
      ratePerCourier: readInt(env, 'INGEST_RATE_PER_COURIER', 50, 1, 1_000_000),
      burstPerCourier: readInt(env, 'INGEST_BURST_PER_COURIER', 1000, 1, 10_000_000),
    },
    /** The data-quality rules every ping passes before it is stored (lib/quality/fix-rules.ts); 0 turns a threshold off. */
    quality: qualityRules(env),
    auth: {
      secret: readSecret(env, 'AUTH_SECRET', DEV_SECRET),
      usingDevSecret: !env.AUTH_SECRET || env.AUTH_SECRET === DEV_SECRET,
      courierTokenTtlMs: readInt(env, 'COURIER_TOKEN_TTL_HOURS', 24 * 30, 1, 24 * 3650) * HOUR_MS,
      orderTokenTtlMs: readInt(env, 'ORDER_TOKEN_TTL_HOURS', 24 * 7, 1, 24 * 3650) * HOUR_MS,
      shareLinkGraceMs: readInt(env, 'ORDER_LINK_GRACE_MINUTES', 24 * 60, 0, 60 * 24 * 365) * 60_000,
      opsUsers: readParsed(env, 'OPS_USERS', DEV_OPS_USERS, parseOpsUsers),
      usingDevOpsUsers: !env.OPS_USERS?.trim() || env.OPS_USERS.trim() === DEV_OPS_USERS,
      opsSessionMs: readInt(env, 'OPS_SESSION_HOURS', 12, 1, 24 * 30) * HOUR_MS,
      opsCookieSecure: publicUrl.startsWith('https://'),
    },
    couriers: {
      staleAfterMs: readInt(env, 'COURIER_STALE_AFTER_SECONDS', 60, 1, 86_400) * 1000,
      frameMs: readInt(env, 'POSITIONS_FRAME_MS', 250, 16, 10_000),
      stalledAfterMs: readInt(env, 'COURIER_STALLED_AFTER_MINUTES', 5, 1, 24 * 60) * 60_000,
    },
    orders: {
      lateAfterMs: readInt(env, 'ORDER_LATE_AFTER_MINUTES', 45, 1, 7 * 24 * 60) * 60_000,
    },
    stats: {
      allowedLatenessSec: readInt(env, 'STATS_ALLOWED_LATENESS_SECONDS', 5, 0, 86_400),
      partitionIdleMs: readInt(env, 'STATS_PARTITION_IDLE_SECONDS', 10, 1, 86_400) * 1000,
      futureToleranceSec: readInt(env, 'STATS_FUTURE_TOLERANCE_SECONDS', 10, 0, 86_400),
      emitIntervalMs: readInt(env, 'STATS_EMIT_INTERVAL_MS', 500, 50, 60_000),
      reader: readEnum(env, 'STATS_READER', 'auto', READERS),
      fetchBuffers: readEnum(env, 'STATS_FETCH_BUFFERS', 'pooled', FETCH_BUFFERS),
    },
    history: {
      // days each partitioned table keeps (lib/db/history-partitions.ts); a day goes whole
      retentionDays: {
        locations: readInt(env, 'HISTORY_RETENTION_DAYS', 30, 1, 36_500),
        // an order's timeline is rebuilt from its events: they are kept longer
        orders: readInt(env, 'ORDER_HISTORY_RETENTION_DAYS', 90, 1, 36_500),
        samples: readInt(env, 'INGEST_SAMPLE_RETENTION_DAYS', 35, 1, 36_500),
      },
    },
    lake: {
      dir: readString(env, 'LAKE_DIR', '.data/lake'),
      flushMs: readInt(env, 'LAKE_FLUSH_SECONDS', 60, 1, 86_400) * 1000,
      fileBytes: readInt(env, 'LAKE_FILE_MB', 16, 1, 1024) * 1024 * 1024,
    },
    worker: {
      httpPort: readInt(env, 'WORKER_HTTP_PORT', 0, 0, 65535),
      groupPrefix: readString(env, 'WORKER_GROUP_PREFIX', 'lastmile'),
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;

function qualityRules(env: Env): QualityRules {
  const positive = (n: number) => (n > 0 ? n : undefined);
  const BOOLEAN = ['true', 'false'] as const;
  const maxAccuracyM = positive(readInt(env, 'QUALITY_MAX_ACCURACY_M', 0, 0, 1_000_000));
  const maxSpeedKmh = positive(readInt(env, 'QUALITY_MAX_SPEED_KMH', 300, 0, 100_000));
  const maxPastS = positive(readInt(env, 'QUALITY_MAX_PAST_HOURS', 168, 0, 24 * 3650) * 3600);
  return {
    duplicate: readEnum(env, 'QUALITY_DUPLICATE', 'true', BOOLEAN) === 'true',
    zero: readEnum(env, 'QUALITY_ZERO', 'true', BOOLEAN) === 'true',
    maxFutureS: readInt(env, 'INGEST_MAX_FUTURE_SECONDS', 300, 0, 86_400),
    ...(maxAccuracyM ? { maxAccuracyM } : {}),
    ...(maxSpeedKmh ? { maxSpeedKmh } : {}),
    ...(maxPastS ? { maxPastS } : {}),
  };
}

/** For entry points: a bad variable ends the process with one line naming it; `check` adds rules. */
export function loadConfigOrExit(service: string, check?: (config: Config) => void): Config {
  try {
    const config = loadConfig();
    check?.(config);
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${service}: configuration error: ${err.message}`);
    process.exit(78); // EX_CONFIG
  }
}

let shared: Config | undefined;

/** The config read once per process, for code without an entry point of its own (Next routes). */
export function sharedConfig(): Config {
  shared ??= loadConfig();
  return shared;
}
