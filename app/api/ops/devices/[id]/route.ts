// DELETE /api/ops/devices/:id: the device is refused from now on. Ops only.
import { withOps } from '@/lib/auth/with-ops';
import { sharedDb } from '@/lib/db/shared';
import { revokeDevice } from '@/lib/devices/device-store';
import { AppError } from '@/lib/http/errors';
import { parseOrderId } from '@/lib/orders/order-id';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

export const DELETE = withOps<{ id: string }>(async ({ params }) => {
  const deviceId = parseOrderId(params.id, 'id');
  if (!(await revokeDevice({ db: sharedDb(), redis: sharedRedis() }, deviceId))) throw new AppError('not_found', `no device ${deviceId} is registered`);
  return { deviceId, revoked: true };
});
