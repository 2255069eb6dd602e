import { type APIRequestContext, expect, test } from '@playwright/test';
import { io } from 'socket.io-client';
import { tokenFor } from './tokens';

function sender(request: APIRequestContext, orderId: string) {
  const shop = `Bearer ${tokenFor('integrator', 'shop')}`;
  return async (status: string, extra: Record<string, unknown> = {}) => {
    const res = await request.post('/api/events', {
      headers: { authorization: shop },
      data: { type: 'order.event', version: 1, eventId: `evt-${orderId}-${status}`, orderId, status, occurredAt: Date.now(), ...extra },
    });
    expect(res.status()).toBe(202);
  };
}

test('a customer sees every change pushed, also the ones that happened while offline', async ({ page, context, request }) => {
  const orderId = `e2e-${Date.now().toString(36)}`;
  const token = tokenFor('order', orderId);
  const send = sender(request, orderId);
  const lastSeq = async () => ((await (await request.get(`/api/orders/${orderId}?t=${token}`)).json()) as { lastSeq?: number }).lastSeq;

  await send('created', { dropoff: { lat: -23.561, lng: -46.656 } });
  await expect.poll(lastSeq).toBe(1);

  await page.setViewportSize({ width: 390, height: 844 }); // a phone
  await page.goto(`/orders/${orderId}?t=${token}`);
  await expect(page.getByTestId('order-status')).toHaveText('Order placed');
  await expect(page.getByTestId('live-state')).toHaveText('Live');

  await send('confirmed');
  await expect(page.getByTestId('order-status')).toHaveText('Order confirmed');
  await expect(page.getByTestId('toast').filter({ hasText: 'Order confirmed' })).toBeVisible();

  await context.setOffline(true);
  await expect(page.getByTestId('live-state')).toHaveText('Reconnecting…');
  await send('picked_up', { courierId: 'e2e-courier' });
  await send('in_transit', { courierId: 'e2e-courier' });
  await expect.poll(lastSeq).toBe(3 + 1);
  await expect(page.getByTestId('order-status')).toHaveText('Order confirmed'); // it really was offline

  await context.setOffline(false);
  await expect(page.getByTestId('order-status')).toHaveText('On its way');
  await expect(page.getByTestId('timeline').locator('li')).toHaveCount(4); // both missed changes, none twice
  await expect(page.getByTestId('step-picked_up')).toBeVisible();
  await expect(page.getByTestId('toast').filter({ hasText: 'On its way' })).toBeVisible();

  // the courier's live position shows on the map (no tiles here: a plain background)
  const ping = await request.post('/api/events', {
    headers: { authorization: `Bearer ${tokenFor('courier', 'e2e-courier')}` },
    data: { type: 'courier.location', version: 1, eventId: `evt-${orderId}-ping`, courierId: 'e2e-courier', orderId, lat: -23.558, lng: -46.651, occurredAt: Date.now() },
  });
  expect(ping.status()).toBe(202);
  await expect(page.locator('.order-map .leaflet-interactive')).toHaveCount(2); // courier and drop-off
  await expect(page.locator('.order-map')).toContainText('Courier');
  await page.screenshot({ path: 'test-results/customer-order-on-its-way.png' });

  await send('delivered', { courierId: 'e2e-courier' });
  await expect(page.getByTestId('order-status')).toHaveText('Delivered');
  await expect(page.locator('.order-map')).toHaveCount(0); // hidden after delivery
});

test("another order's token is refused on the page, the API and the socket", async ({ page, request, baseURL }) => {
  const orderId = `e2e-guard-${Date.now().toString(36)}`;
  await sender(request, orderId)('created');
  const mine = tokenFor('order', orderId);
  await expect.poll(async () => (await request.get(`/api/orders/${orderId}?t=${mine}`)).status()).toBe(200);
  const theirs = tokenFor('order', 'someone-elses-order');

  await page.goto(`/orders/${orderId}?t=${theirs}`);
  await expect(page.getByTestId('order-problem')).toContainText('This tracking link does not work');
  await page.goto(`/orders/no-such-order?t=${tokenFor('order', 'no-such-order')}`);
  await expect(page.getByTestId('order-problem')).toContainText('We could not find this order');

  expect((await request.get(`/api/orders/${orderId}?t=${theirs}`)).status()).toBe(403);
  expect((await request.get(`/api/orders/${orderId}/location?t=${theirs}`)).status()).toBe(403);

  const socket = io(baseURL!, { transports: ['websocket'], forceNew: true });
  try {
    const ack = await socket.emitWithAck('order:join', { orderId, token: theirs });
    expect(ack).toEqual({ ok: false, error: 'this token is for another order' });
  } finally {
    socket.disconnect();
  }
});
