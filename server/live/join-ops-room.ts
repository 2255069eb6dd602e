// Rooms only ops may join (`ops` now, `stats` next): the socket's handshake must carry a valid
// ops session cookie. The browser sends it with the handshake, as with any same-site request.
import type { Socket } from 'socket.io';
import { type OpsSession, type OpsSessionKeys, opsSessionFromCookieHeader } from '../../lib/auth/ops-session';
import type { JoinAck } from '../../lib/realtime/socket-events';

const OPS_LOGIN_REQUIRED = 'ops login required';

/** Joins `room` and acks ok when the handshake has an ops session; otherwise acks the refusal. */
export function joinOpsRoom(socket: Pick<Socket, 'handshake' | 'join'>, room: string, keys: OpsSessionKeys, ack?: JoinAck): OpsSession | null {
  const session = opsSessionFromCookieHeader(socket.handshake.headers.cookie, keys);
  if (!session) {
    ack?.({ ok: false, error: OPS_LOGIN_REQUIRED });
    return null;
  }
  void socket.join(room);
  ack?.({ ok: true });
  return session;
}
