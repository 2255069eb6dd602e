// Every page works under its Content-Security-Policy in Chromium: each is loaded, shown live
// (scripts ran, the socket connected, the map drew), and no CSP violation was reported,
// neither as a securitypolicyviolation event nor on the console.
import { type Page, expect, test } from '@playwright/test';
import { opsCredentials } from './ops-login';
import { tokenFor } from './tokens';

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/** Collects the page's CSP violations from the first script on: the event and the console line. */
function watchCsp(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (execute|load|connect|apply|frame)/i.test(message.text())) seen.push(`console: ${message.text()}`);
  });
  void page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return seen;
}

async function expectNoViolations(page: Page, seen: string[]) {
  await page.waitForLoadState('networkidle');
  const events = await page.evaluate(() => window.__cspViolations ?? []);
  expect([...seen, ...events]).toEqual([]);
}

test('the login page and the ops pages run under their CSP', async ({ page }) => {
  const seen = watchCsp(page);
  const response = await page.goto('/login');
  expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  await page.getByLabel('Name', { exact: true }).fill(opsCredentials().name);
  await page.getByLabel('Password', { exact: true }).fill(opsCredentials().password);
  await page.getByRole('button', { name: 'Sign in' }).click(); // a same-origin form post: not refused
  await expect(page.getByRole('heading', { name: 'lastmile · couriers' })).toBeVisible();
  await expect(page.getByTestId('live-state')).toHaveText('Live'); // socket.io under connect-src
  await expect(page.locator('.leaflet-container')).toBeVisible();
  await expectNoViolations(page, seen);

  await page.goto('/stats?range=1h');
  await expect(page.getByTestId('stats-live')).toHaveText(/Live/);
  await expectNoViolations(page, seen);

  await page.goto('/ops/orders');
  await expect(page.getByRole('heading', { name: 'Orders' })).toBeVisible();
  await expectNoViolations(page, seen);
});

test("a customer's order page runs under its CSP, live and with its map", async ({ page, request }) => {
  const orderId = `e2e-csp-${Date.now().toString(36)}`;
  const shop = { authorization: `Bearer ${tokenFor('integrator', 'shop')}` };
  const steps = ['created', 'confirmed', 'picked_up', 'in_transit'];
  const events = steps.map((status, i) => ({
    type: 'order.event',
    version: 1,
    eventId: `evt-${orderId}-${status}`,
    orderId,
    status,
    occurredAt: Date.now() - 4000 + i * 1000,
    ...(i === 0 ? { dropoff: { lat: -23.561, lng: -46.656 } } : { courierId: 'e2e-csp-courier' }),
  }));
  expect((await request.post('/api/events', { headers: shop, data: events })).status()).toBe(202);
  const ping = { type: 'courier.location', version: 1, eventId: `evt-${orderId}-ping`, courierId: 'e2e-csp-courier', orderId, lat: -23.558, lng: -46.651, occurredAt: Date.now() };
  const token = tokenFor('order', orderId);
  const status = async () => ((await (await request.get(`/api/orders/${orderId}?t=${token}`)).json()) as { status?: string }).status;
  await expect.poll(status).toBe('in_transit');
  expect((await request.post('/api/events', { headers: { authorization: `Bearer ${tokenFor('courier', 'e2e-csp-courier')}` }, data: ping })).status()).toBe(202);

  const seen = watchCsp(page);
  await page.goto(`/orders/${orderId}?t=${token}`);
  await expect(page.getByTestId('live-state')).toHaveText('Live');
  await expect(page.locator('.order-map .leaflet-interactive')).toHaveCount(2);
  await expectNoViolations(page, seen);
});

test('the page for an unknown path runs under its CSP too', async ({ page }) => {
  const seen = watchCsp(page);
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Nothing here' })).toBeVisible();
  await expectNoViolations(page, seen);
});

test('a page refuses to be framed', async ({ page }) => {
  const response = await page.goto('/login');
  expect(response?.headers()).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
});

test('the watcher does see a violation: the same page under a policy without its nonce', async ({ page }) => {
  await page.route('**/login', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers(), 'content-security-policy': "script-src 'self'" };
    await route.fulfill({ response, headers });
  });
  const seen = watchCsp(page);
  await page.goto('/login');
  await page.waitForLoadState('networkidle');
  const events = await page.evaluate(() => window.__cspViolations ?? []);
  expect([...seen, ...events].length).toBeGreaterThan(0);
});
