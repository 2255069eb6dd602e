// One error type for everything a client can be told about. Anything else is an internal
// error: logged in full, answered as a bare 500.

export const ERROR_STATUS = {
  invalid_json: 400,
  /** The request itself cannot be read: a path that does not decode, a broken multipart body. */
  invalid_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldIssue {
  /** Index of the event in a batch request, when the body was an array. */
  index?: number;
  /** JSON pointer to the field, e.g. "/lat". */
  field: string;
  /** The rule that failed, e.g. "maximum" or "required". */
  rule: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: FieldIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export interface ErrorBody {
  error: { code: ErrorCode | 'internal'; message: string; issues?: FieldIssue[] };
}

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.issues.length > 0) body.error.issues = err.issues;
    return { status: err.status, body };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Internal error' } } };
}
