// The ops live map in Chromium without map tiles: couriers drawn on the canvas and moving as
// pings arrive, coloured by their order's status, greyed when silent (the e2e server's
// COURIER_STALE_AFTER_SECONDS is 8), hover and click, the courier panel with its trail and
// replay, the alerts, and the login it needs.
import { type APIRequestContext, type Page, expect, test } from '@playwright/test';
import { signInOps } from './ops-login';
import { tokenFor } from './tokens';

const run = Date.now().toString(36);
let seq = 0;

function sendPing(request: APIRequestContext, courierId: string, at: { lat: number; lng: number }, extra: Record<string, unknown> = {}) {
  return request
    .post('/api/events', {
      headers: { authorization: `Bearer ${tokenFor('courier', courierId)}` },
      data: { type: 'courier.location', version: 1, eventId: `evt-${run}-${++seq}`, courierId, occurredAt: Date.now(), ...at, ...extra },
    })
    .then((res) => expect(res.status()).toBe(202));
}

/** Creates an order and moves it on to `status`, assigned to `courierId`; waits until ops see it there. */
async function orderUpTo(page: Page, orderId: string, courierId: string, status: string, createdAt = Date.now() - 60_000) {
  const steps = ['created', 'confirmed', 'picked_up'];
  const events = steps.slice(0, steps.indexOf(status) + 1).map((s, i) => ({
    type: 'order.event',
    version: 1,
    eventId: `evt-${run}-${++seq}`,
    orderId,
    status: s,
    courierId,
    occurredAt: createdAt + i * 1000,
  }));
  const res = await page.request.post('/api/events', { headers: { authorization: `Bearer ${tokenFor('integrator', 'shop')}` }, data: events });
  expect(res.status()).toBe(202);
  await expect.poll(async () => ((await (await page.request.get(`/api/ops/orders/${orderId}`)).json()) as { order?: { status: string } }).order?.status).toBe(status);
}

const probe = (page: Page, courierId: string) => page.evaluate((id) => window.__mapProbe?.(id) ?? null, courierId);

/** The page's point of a courier drawn on the map. */
async function onScreen(page: Page, courierId: string) {
  const box = (await page.locator('[data-testid="ops-map"] .leaflet-container').boundingBox())!;
  const drawn = (await probe(page, courierId))!;
  return { x: box.x + drawn.x, y: box.y + drawn.y };
}

async function openMap(page: Page) {
  await signInOps(page.context());
  await page.goto('/');
  await expect(page.getByTestId('live-state')).toHaveText('Live');
  await expect.poll(() => page.evaluate(() => window.__mapStats?.frames ?? 0)).toBeGreaterThan(0);
}

test('couriers glide as pings arrive, coloured by their order, grey when silent; a click opens the panel with trail and replay', async ({ page }) => {
  await openMap(page);
  const courierId = `e2e-map-${run}`;
  const orderId = `e2e-map-order-${run}`;
  await orderUpTo(page, orderId, courierId, 'confirmed');
  const start = { lat: -23.62, lng: -46.7 };

  await sendPing(page.request, courierId, start, { orderId });
  await expect.poll(() => probe(page, courierId)).toMatchObject({ state: 'to_pickup' });
  await expect(page.getByTestId('count-to_pickup')).not.toHaveText('0');
  const first = (await probe(page, courierId))!;
  const framesBefore = await page.evaluate(() => window.__mapStats!.frames);

  // about a kilometre north-east: some 30 px at zoom 12, glided over rather than jumped
  await sendPing(page.request, courierId, { lat: start.lat + 0.01, lng: start.lng + 0.01 }, { orderId });
  await expect.poll(async () => (await probe(page, courierId))!.x).toBeGreaterThan(first.x + 25);
  const moved = (await probe(page, courierId))!;
  expect(moved.y).toBeLessThan(first.y - 25);
  expect(await page.evaluate(() => window.__mapStats!.frames)).toBeGreaterThan(framesBefore + 2);
  expect(await page.evaluate(() => window.__mapStats!.mode)).toBe('couriers');

  // hover, then click
  const point = await onScreen(page, courierId);
  await page.mouse.move(point.x, point.y);
  await expect(page.getByTestId('map-tooltip')).toContainText(courierId);
  await expect(page.getByTestId('map-tooltip')).toContainText('to pickup');
  await page.mouse.click(point.x, point.y);
  const panel = page.getByTestId('courier-panel');
  await expect(panel.getByTestId('panel-courier')).toHaveText(courierId);
  await expect(panel.getByTestId('panel-state')).toContainText('to pickup');
  await expect(panel.getByTestId('panel-order')).toContainText(orderId);
  await expect(panel.getByTestId('panel-order-status')).toHaveText('confirmed');
  await expect(panel.getByRole('link', { name: orderId })).toHaveAttribute('href', `/ops/orders?id=${orderId}`);
  await expect(panel.getByTestId('panel-trail')).toHaveText('2 fixes in the last 10 min');

  // a live fix extends the trail; picked up, the courier is delivering
  await orderUpTo(page, orderId, courierId, 'picked_up');
  await sendPing(page.request, courierId, { lat: start.lat + 0.02, lng: start.lng + 0.01 }, { orderId });
  await expect(panel.getByTestId('panel-trail')).toHaveText('3 fixes in the last 10 min');
  await expect(panel.getByTestId('panel-state')).toContainText('delivering');
  await page.screenshot({ path: 'test-results/ops-map-courier-panel.png' });

  // the replay runs through the history and stops at its end
  await panel.getByRole('button', { name: '10 min' }).click();
  await expect(panel.getByTestId('replay-toggle')).toBeVisible();
  await panel.getByRole('button', { name: '60×' }).click();
  await expect(panel.getByRole('button', { name: '60×' })).toHaveAttribute('aria-pressed', 'true');
  await expect(panel.getByTestId('replay-toggle')).toHaveText('Play', { timeout: 10_000 }); // reached the end
  await panel.getByTestId('replay-toggle').click();
  await expect(panel.getByTestId('replay-toggle')).toHaveText(/Pause|Play/);

  // silent for longer than COURIER_STALE_AFTER_SECONDS: grey
  await expect.poll(() => probe(page, courierId), { timeout: 20_000 }).toMatchObject({ state: 'stale' });
  await expect(panel.getByTestId('panel-state')).toContainText('stale');
  await expect(page.getByTestId('count-stale')).not.toHaveText('0');
  await page.screenshot({ path: 'test-results/ops-map-stale.png' });

  // heard from again: its colour comes back
  await sendPing(page.request, courierId, { lat: start.lat + 0.02, lng: start.lng + 0.02 }, { orderId });
  await expect.poll(() => probe(page, courierId)).toMatchObject({ state: 'delivering' });
});

test('late orders and stalled couriers are listed, and choosing one opens its courier', async ({ page }) => {
  await openMap(page);
  const late = { courierId: `e2e-late-${run}`, orderId: `e2e-late-order-${run}` };
  await orderUpTo(page, late.orderId, late.courierId, 'confirmed', Date.now() - 2 * 3_600_000);
  await sendPing(page.request, late.courierId, { lat: -23.54, lng: -46.6 }, { orderId: late.orderId });
  await expect.poll(() => probe(page, late.courierId)).not.toBeNull();
  await page.reload(); // the late orders are read when the page opens (then every 15 s)
  await page.getByTestId('late-orders').getByRole('button', { name: late.orderId }).click();
  await expect(page.getByTestId('panel-courier')).toHaveText(late.courierId);

  // a courier delivering that has not moved for six minutes
  const stalled = { courierId: `e2e-stall-${run}`, orderId: `e2e-stall-order-${run}` };
  await orderUpTo(page, stalled.orderId, stalled.courierId, 'picked_up');
  const spot = { lat: -23.6, lng: -46.62 };
  const sixMinutesAgo = Date.now() - 6 * 60_000;
  await sendPing(page.request, stalled.courierId, spot, { orderId: stalled.orderId, occurredAt: sixMinutesAgo });
  await expect.poll(async () => (await probe(page, stalled.courierId))?.fixAt).toBe(sixMinutesAgo);
  await sendPing(page.request, stalled.courierId, { lat: spot.lat + 0.0001, lng: spot.lng }, { orderId: stalled.orderId });
  const item = page.getByTestId('stalled-couriers').getByRole('button', { name: stalled.courierId });
  await expect(item).toBeVisible();
  await expect(page.getByTestId('stalled-couriers')).toContainText('still 6 min');
  await item.click();
  await expect(page.getByTestId('panel-courier')).toHaveText(stalled.courierId);
  await expect(page.getByTestId('panel-state')).toContainText('delivering');
});

/** The canvas pixel (RGBA) at a courier's drawn position (the canvas is as big as the map, dpr 1 here). */
const canvasPixel = (page: Page, at: { x: number; y: number }) =>
  page.evaluate(({ x, y }) => {
    const canvas = document.querySelector<HTMLCanvasElement>('canvas.courier-canvas')!;
    return [...canvas.getContext('2d')!.getImageData(Math.round(x), Math.round(y), 1, 1).data];
  }, at);

test('the canvas keeps only what is current while just the tiles that changed are repainted', async ({ page }) => {
  await openMap(page);
  const courierId = `e2e-tiles-${run}`;
  const start = { lat: -23.6, lng: -46.6 }; // well inside the opening view, away from the other tests' couriers
  await sendPing(page.request, courierId, start);
  await expect.poll(() => probe(page, courierId)).toMatchObject({ state: 'idle' });
  const first = (await probe(page, courierId))!;
  await expect.poll(async () => (await canvasPixel(page, first))[3]).toBeGreaterThan(200);
  const idle = await canvasPixel(page, first);

  // some 90 px away, across tiles: what it left is cleared, where it is painted, nothing in between
  await sendPing(page.request, courierId, { lat: start.lat + 0.03, lng: start.lng + 0.03 });
  await expect.poll(async () => (await probe(page, courierId))!.x - first.x, { timeout: 10_000 }).toBeGreaterThan(87); // done gliding
  const moved = (await probe(page, courierId))!;
  await expect.poll(async () => (await canvasPixel(page, first))[3]).toBe(0);
  await expect.poll(() => canvasPixel(page, moved)).toEqual(idle);
  const leftBehind = await page.evaluate(
    ({ a, b }) => {
      const canvas = document.querySelector<HTMLCanvasElement>('canvas.courier-canvas')!;
      const x0 = Math.floor(Math.min(a.x, b.x) - 8);
      const y0 = Math.floor(Math.min(a.y, b.y) - 8);
      const w = Math.ceil(Math.abs(a.x - b.x) + 16);
      const h = Math.ceil(Math.abs(a.y - b.y) + 16);
      const data = canvas.getContext('2d')!.getImageData(x0, y0, w, h).data;
      let stray = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (data[(y * w + x) * 4 + 3]! > 0 && Math.hypot(x0 + x - b.x, y0 + y - b.y) > 7) stray++;
      return stray;
    },
    { a: first, b: moved },
  );
  expect(leftBehind).toBe(0);

  // silent: grey, where it stands
  await expect.poll(() => probe(page, courierId), { timeout: 20_000 }).toMatchObject({ state: 'stale' });
  await expect.poll(async () => (await canvasPixel(page, moved)).join()).not.toBe(idle.join());
  const [r, g, b, a] = await canvasPixel(page, moved);
  expect(a).toBeGreaterThan(200);
  expect(Math.max(r!, g!, b!) - Math.min(r!, g!, b!)).toBeLessThan(24); // a grey
});

test('with a trace asked for, each live frame is recorded with the redraw that showed it (the map benchmark reads this)', async ({ page }) => {
  await page.addInitScript(() => {
    window.__mapTrace = { frames: [], draws: [] };
  });
  await openMap(page);
  const courierId = `e2e-trace-${run}`;
  const occurredAt = Date.now();
  await sendPing(page.request, courierId, { lat: -23.57, lng: -46.64 }, { occurredAt });
  await expect.poll(() => probe(page, courierId)).toMatchObject({ fixAt: occurredAt });
  const frame = await page.evaluate(
    ({ id, at }) => window.__mapTrace!.frames.find((f) => f.positions.some((p) => p.courierId === id && p.occurredAt === at)) ?? null,
    { id: courierId, at: occurredAt },
  );
  expect(frame).not.toBeNull();
  await expect.poll(() => page.evaluate(({ id }) => window.__mapTrace!.frames.find((f) => f.positions.some((p) => p.courierId === id))!.drawnAt, { id: courierId })).toBeGreaterThan(0);
  const traced = await page.evaluate(({ id }) => {
    const f = window.__mapTrace!.frames.find((x) => x.positions.some((p) => p.courierId === id))!;
    return { receivedAt: f.receivedAt, drawnAt: f.drawnAt, draws: window.__mapTrace!.draws };
  }, { id: courierId });
  expect(traced.drawnAt).toBeGreaterThanOrEqual(traced.receivedAt);
  // drawnAt is the end of the first redraw after the frame arrived
  expect(traced.draws).toContain(traced.drawnAt);
  expect(traced.draws.filter((t) => t > traced.receivedAt)[0]).toBe(traced.drawnAt);
});

test('the map, its snapshot and trails need an ops login', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  expect((await page.request.get('/api/couriers')).status()).toBe(401);
  expect((await page.request.get(`/api/couriers/c-1/trail?since=${new Date().toISOString()}`)).status()).toBe(401);
  expect((await page.request.get('/api/ops/alerts')).status()).toBe(401);
});
