import { expect, test } from '@playwright/test';
import { signInOps } from './ops-login';
import { tokenFor } from './tokens';

test('ops find an order by id and see its timeline and the change that was refused', async ({ page, context, request }) => {
  const orderId = `e2e-ops-${Date.now().toString(36)}`;
  const send = async (status: string, t: number) => {
    const res = await request.post('/api/events', {
      headers: { authorization: `Bearer ${tokenFor('integrator', 'shop')}` },
      data: { type: 'order.event', version: 1, eventId: `evt-${orderId}-${status}-${t}`, orderId, status, occurredAt: Date.now() - 10_000 + t },
    });
    expect(res.status()).toBe(202);
  };
  await send('created', 0);
  await send('confirmed', 1);
  await send('delivered', 2); // illegal: delivered cannot follow confirmed

  await signInOps(context);
  await page.goto('/ops/orders');
  await page.getByLabel('Order id').fill(orderId);
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByTestId('ops-order-status')).toHaveText('confirmed');
  await expect(page.getByTestId('ops-timeline').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('ops-anomalies')).toContainText('delivered cannot follow confirmed');
  await expect(page.getByTestId('ops-received').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('recent-anomalies')).toContainText(orderId);

  // the map links to an order as /ops/orders?id=…
  await page.goto(`/ops/orders?id=${orderId}`);
  await expect(page.getByTestId('ops-order-status')).toHaveText('confirmed');
  await expect(page.getByLabel('Order id')).toHaveValue(orderId);

  await page.getByLabel('Order id').fill('no-such-order');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'no order no-such-order' })).toBeVisible();
});
