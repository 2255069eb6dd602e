// Small helpers for Next route handlers, the counterpart of node-http.ts.
import { NextResponse } from 'next/server';
import { toErrorResponse } from './errors';

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
