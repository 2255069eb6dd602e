// Tells a store that is briefly away (retry the batch) from a message that can never be
// applied (dead-letter it). Unknown errors count as retriable: retrying is safe because
// every effect is idempotent, dropping is not.

const RETRIABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Postgres SQLSTATE classes that mean the data itself is wrong: 22 data exception, 23 constraint. */
const POISON_SQLSTATE = /^(22|23)/;

export function isRetriable(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: unknown; retriable?: unknown; name?: unknown; meta?: { driverAdapterError?: unknown } };
  if (e?.retriable === true) return true;
  // Prisma wraps the pg driver adapter's error: its cause has the SQLSTATE, or says the
  // database is unreachable.
  const adapterError = e?.meta?.driverAdapterError;
  if (adapterError) return isRetriable(adapterError);
  if (typeof e?.code === 'string') {
    if (RETRIABLE_CODES.has(e.code)) return true;
    if (POISON_SQLSTATE.test(e.code)) return false;
  }
  if (e?.cause && e.cause !== err) return isRetriable(e.cause);
  if (e?.name === 'PoisonMessageError') return false;
  return true;
}

export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}
