// Small helpers for the bare node:http handlers in server/ and the workers' ops port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, toErrorResponse } from './errors';
import type { Log } from '../observability/log';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown, log: Log): void {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) log.error({ err }, 'request failed');
  if (!res.headersSent) sendJson(res, status, body, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
  else res.destroy();
}

/** Reads a JSON body of at most maxBytes; 415 when it is not JSON, 413 when too large. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new AppError('unsupported_media_type', 'send the body as application/json');
  const text = (await readBody(req, maxBytes)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads a body of at most maxBytes, whatever its type; 413 when too large. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * 400 unless a request path's percent-encoding decodes (to UTF-8) and holds no NUL: `%ff`,
 * a lone `%` or `%00` in a dynamic segment is a malformed request, not a server error.
 */
export function assertReadablePath(path: string): void {
  if (!path.includes('%')) return; // nothing to decode: the hot routes' usual case
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new AppError('invalid_request', 'the path is not valid percent-encoding: escape % as %25, and encode text as UTF-8');
  }
  if (decoded.includes('\0')) throw new AppError('invalid_request', 'the path holds a NUL byte (%00)');
}
