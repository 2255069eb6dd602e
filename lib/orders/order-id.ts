// What an order id may be: the schemas' entityId pattern, so a URL or a socket message
// cannot hand a store an id the ingest would never have accepted (NUL bytes, 10 KB strings).
import defs from '../../schemas/_defs.v1.json';
import { AppError } from '../http/errors';

const ENTITY_ID = new RegExp(defs.definitions.entityId.pattern);

export function isEntityId(value: unknown): value is string {
  return typeof value === 'string' && ENTITY_ID.test(value);
}

/** The id, or 400 naming `field`. */
export function parseOrderId(value: unknown, field = 'orderId'): string {
  if (isEntityId(value)) return value;
  throw new AppError('validation_failed', `${field} must be 1-64 letters, digits or _ . : -`, [
    { field: `/${field}`, rule: 'pattern', message: `${field} must match ${defs.definitions.entityId.pattern}` },
  ]);
}
