// The one wrapper every ops API route goes through (like dub's withWorkspace): the session
// (401 without one), the path parameters checked, errors in the shared shape with internals
// hidden, and never cached. A route then only parses its input and calls its use case.
import { NextResponse } from 'next/server';
import { AppError } from '../http/errors';
import { errorResponse } from '../http/next-http';
import type { OpsSession } from './ops-session';
import { currentOpsSession } from './require-ops';

export interface OpsRequest<P> {
  request: Request;
  /** The path's dynamic segments, decoded by Next and checked to be plain text. */
  params: P;
  query: URLSearchParams;
  session: OpsSession;
}

type Params = Record<string, string>;
type RouteContext<P> = { params: Promise<P> };

const NO_STORE = { 'cache-control': 'no-store' };

/** A decoded segment with a NUL or another control character is never an id: 400 naming it. */
function checkedParams<P extends Params>(params: unknown): P {
  const checked: Params = {};
  for (const [name, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string' || /\p{Cc}/u.test(value)) {
      throw new AppError('validation_failed', `${name} must be plain text`, [{ field: `/${name}`, rule: 'format', message: `${name} must not hold control characters` }]);
    }
    checked[name] = value;
  }
  return checked as P;
}

export function createWithOps(readSession: () => Promise<OpsSession | null>) {
  return function withOps<P extends Params = Params>(handler: (ops: OpsRequest<P>) => Promise<unknown>) {
    return async function opsRoute(request: Request, context?: RouteContext<P>): Promise<Response> {
      try {
        const session = await readSession();
        if (!session) throw new AppError('unauthorized', 'sign in first: ops APIs need an ops session (POST /api/auth/login)');
        const params = checkedParams<P>(await context?.params);
        const body = await handler({ request, params, query: new URL(request.url).searchParams, session });
        return NextResponse.json(body, { headers: NO_STORE });
      } catch (err) {
        return errorResponse(err, NO_STORE);
      }
    };
  };
}

export const withOps = createWithOps(currentOpsSession);
