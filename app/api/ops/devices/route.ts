// GET /api/ops/devices[?courierId=]: the registered tracker devices. POST { deviceId,
// courierId, sourceId? }: registers one (again: a new secret), answers its secret and the
// URLs its app is set up with, once. Ops only.
import { withOps } from '@/lib/auth/with-ops';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { deviceUrls, parseDeviceInput } from '@/lib/devices/device-input';
import { listDevices, registerDevice } from '@/lib/devices/device-store';
import { AppError } from '@/lib/http/errors';
import { parseOrderId } from '@/lib/orders/order-id';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

export const GET = withOps(async ({ query }) => {
  const courierId = query.get('courierId');
  return { devices: await listDevices(sharedDb(), courierId === null ? undefined : parseOrderId(courierId, 'courierId')) };
});

export const POST = withOps(async ({ request }) => {
  const body: unknown = await request.json().catch(() => {
    throw new AppError('invalid_json', 'the body is not valid JSON');
  });
  const device = parseDeviceInput(body);
  const secret = await registerDevice({ db: sharedDb(), redis: sharedRedis() }, device);
  const config = sharedConfig();
  const base = config.publicUrl || new URL(request.url).origin;
  return { ...device, secret, urls: deviceUrls(base, config.osmandPort, device.deviceId, secret) };
});
