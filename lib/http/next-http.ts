// Small helpers for Next route handlers, the counterpart of node-http.ts.
import { NextResponse } from 'next/server';
import { sharedConfig } from '../config';
import { AppError, toErrorResponse } from './errors';
import { allowedOrigins, crossSiteRefusal, withRequestOrigin } from './origin';

/** The error answer in the shared shape; anything not an AppError is logged and hidden. */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): NextResponse {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) console.error(err);
  return NextResponse.json(body, { status, headers });
}

/** 303 to a path on this site. Relative, so it stays right behind a proxy whatever Host it forwards. */
export function seeOther(path: string, headers: Record<string, string> = {}): NextResponse {
  return new NextResponse(null, { status: 303, headers: { location: path, 'cache-control': 'no-store', ...headers } });
}

/** The media type of a request's body, lower case, without parameters. */
export function mediaTypeOf(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * How much of a refused body is read and dropped before the 413 goes out. Answering first
 * makes Node close a socket the client is still writing to, and the reset that follows can
 * take the 413 with it before the client reads it; a client that stops within these bounds
 * reads the answer, one that goes on is cut off.
 */
const LINGER = { ms: 2000, bytes: 16 * 1024 * 1024 };

async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, limit: typeof LINGER): Promise<void> {
  const stop = () => reader.cancel('body too large').catch((err: unknown) => console.warn('could not stop reading a refused body', err));
  const timer = setTimeout(stop, limit.ms);
  let dropped = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.byteLength;
      if (dropped > limit.bytes) {
        await stop();
        return;
      }
    }
  } catch {
    // the client went away first: there is nothing left to drop (and no one to tell)
    return;
  } finally {
    clearTimeout(timer);
  }
}

const tooLarge = (maxBytes: number) => new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);

/**
 * The body, read with a cap: 413 naming the limit as soon as Content-Length or the bytes
 * received pass it, without keeping the rest (request.json() would buffer all of it).
 */
export async function readLimitedBody(request: Request, maxBytes: number, linger = LINGER): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await discardRest(reader, linger);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/**
 * 403 unless the request comes from this site: its configured origins, or its own as the
 * Host header names it (on a free port, config does not know the real one).
 */
export function assertSameSiteRequest(request: Request): void {
  const { publicUrl, host, port } = sharedConfig();
  const allowed = withRequestOrigin(allowedOrigins({ publicUrl, host, port }), request.headers.get('host'));
  const refusal = crossSiteRefusal(request.headers, allowed);
  if (refusal) throw new AppError('forbidden', refusal);
}
