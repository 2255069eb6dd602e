import { expect, test } from '@playwright/test';
import { signInOps } from './ops-login';
import { tokenFor } from './tokens';

test('a ping posted to the ingest API shows up on the map without a reload', async ({ page, context, request }) => {
  await signInOps(context);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'lastmile · couriers' })).toBeVisible();
  await expect(page.getByTestId('live-state')).toHaveText('Live');

  const courierId = `e2e-${Date.now().toString(36)}`;
  const res = await request.post('/api/events', {
    headers: { authorization: `Bearer ${tokenFor('courier', courierId)}` },
    data: {
      type: 'courier.location',
      version: 1,
      eventId: `evt-${courierId}`,
      courierId,
      lat: -23.55052,
      lng: -46.63331,
      occurredAt: Date.now(),
    },
  });
  expect(res.status()).toBe(202);

  await expect.poll(() => page.evaluate((id) => window.__mapProbe?.(id) ?? null, courierId)).toMatchObject({ state: 'idle' });
  const snapshot = (await (await context.request.get('/api/couriers')).json()) as { couriers: { courierId: string }[] };
  expect(snapshot.couriers.find((c) => c.courierId === courierId)).toMatchObject({ lat: -23.55052, lng: -46.63331, status: 'idle' });
  // the page counts every courier the snapshot has
  await expect(page.getByTestId('courier-count')).toHaveText(new RegExp(`^${snapshot.couriers.length} couriers?$`));
});

test('an invalid event is refused with the field named', async ({ request }) => {
  const res = await request.post('/api/events', {
    headers: { authorization: `Bearer ${tokenFor('courier', 'c')}` },
    data: { type: 'courier.location', version: 1, eventId: 'evt-invalid-1', courierId: 'c', lat: -100, lng: 0, occurredAt: Date.now() },
  });
  expect(res.status()).toBe(400);
  expect(await res.json()).toMatchObject({ error: { code: 'validation_failed', issues: [{ field: '/lat', rule: 'minimum' }] } });
});

test('the API is described at /openapi.json and the snapshot names a bad viewport', async ({ context, request }) => {
  const doc = await request.get('/openapi.json');
  expect(doc.status()).toBe(200);
  expect(await doc.json()).toMatchObject({ openapi: '3.1.0', paths: { '/api/orders/{orderId}/location': {} } });
  await signInOps(context);
  const bad = await context.request.get('/api/couriers?bbox=1,2,3');
  expect(bad.status()).toBe(400);
  expect(await bad.json()).toMatchObject({ error: { issues: [{ field: 'bbox' }] } });
});
