// What a socket may ask for. Messages come from anyone who can open a socket, so every handler
// takes any argument shapes: an ack that is not a function is ignored, a request that is not
// an object is refused through the ack, and nothing a client sends can throw out of a handler.
import type { Socket } from 'socket.io';
import type { OpsSessionKeys } from '../../lib/auth/ops-session';
import type { Db } from '../../lib/db/client';
import { AppError } from '../../lib/http/errors';
import type { Log } from '../../lib/observability/log';
import { type OrderReaderDeps, authorizeOrderReader } from '../../lib/orders/authorize-order-reader';
import { notificationsSince } from '../../lib/orders/notifications-since';
import { orderRoom, opsRoom, statsRoom } from '../../lib/realtime/rooms';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/socket-events';
import { joinOpsRoom } from './join-ops-room';

export interface SocketHandlerDeps extends OrderReaderDeps, OpsSessionKeys {
  db: Db;
  log: Log;
}

type LastmileSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
type Ack<T> = (result: T) => void;

/** The last argument when it is a function: socket.io passes the client's ack there. */
function ackOf<T>(args: unknown[]): Ack<T> {
  const last = args.at(-1);
  return typeof last === 'function' ? (last as Ack<T>) : () => undefined;
}

export function registerSocketHandlers(socket: LastmileSocket, deps: SocketHandlerDeps): void {
  // socket.io hands handlers whatever the client emitted; the typed events only describe
  // well-behaved clients, so the handlers read their arguments as unknown.
  const on = (event: keyof ClientToServerEvents, handle: (args: unknown[]) => Promise<void> | void) => {
    socket.on(event, (...args: unknown[]) => {
      Promise.resolve()
        .then(() => handle(args))
        .catch((err: unknown) => {
          deps.log.error({ err, event }, 'socket handler failed');
          ackOf<{ ok: false; error: string }>(args)({ ok: false, error: 'try again' });
        });
    });
  };
  on('ops:join', (args) => void joinOpsRoom(socket, opsRoom, deps, ackOf(args)));
  on('stats:join', (args) => void joinOpsRoom(socket, statsRoom, deps, ackOf(args)));
  on('order:join', (args) => joinOrderRoom(socket, args, deps));
}

async function joinOrderRoom(socket: LastmileSocket, args: unknown[], deps: SocketHandlerDeps): Promise<void> {
  const ack = ackOf<Parameters<Parameters<ClientToServerEvents['order:join']>[1] & object>[0]>(args);
  const request = args[0];
  if (typeof request !== 'object' || request === null) {
    ack({ ok: false, error: 'send { orderId, token }' });
    return;
  }
  const { orderId: rawId, token, lastSeq: rawSeq } = request as Record<string, unknown>;
  let orderId: string;
  try {
    ({ orderId } = await authorizeOrderReader(deps, typeof token === 'string' ? token : undefined, rawId));
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    ack({ ok: false, error: err.message });
    return;
  }
  // Join first, then read what was missed: a notification in between arrives both ways,
  // and the client drops the sequence numbers it has already seen.
  await socket.join(orderRoom(orderId));
  const lastSeq = Number(rawSeq);
  if (rawSeq === undefined || !Number.isSafeInteger(lastSeq) || lastSeq < 0) {
    ack({ ok: true });
    return;
  }
  try {
    ack({ ok: true, ...(await notificationsSince(deps.db, orderId, lastSeq)) });
  } catch (err) {
    deps.log.error({ err, orderId }, 'catch-up failed');
    ack({ ok: true, reload: true });
  }
}
