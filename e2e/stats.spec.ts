import { readFileSync } from 'node:fs';
import { type APIRequestContext, expect, test } from '@playwright/test';
import { signInOps } from './ops-login';
import { tokenFor } from './tokens';

// Six minutes of activity, an hour ago, sent through the ingest API a minute at a time:
// minute k has 8 + 3k distinct users (each active several times). A minute shows once the
// next one has arrived (the watermark has passed its end); the last once the stream has been
// idle for STATS_PARTITION_IDLE_SECONDS (10): the watermark then follows the clock.
const MINUTES = 6;
const usersIn = (k: number) => 8 + 3 * k;
const M0 = Math.floor(Date.now() / 60_000) * 60 - 60 * 60;
const run = Date.now().toString(36);

async function sendMinute(request: APIRequestContext, k: number) {
  const events = [];
  for (let i = 0; i < usersIn(k) * 3; i++) {
    const uid = `e2e-${run}-${k}-${i % usersIn(k)}`;
    events.push({ type: 'user.activity', version: 1, uid, ts: M0 + k * 60 + (i * 57) / (usersIn(k) * 3), page: { path: '/menu', uid: 'nested-is-not-the-user' } });
  }
  const res = await request.post('/api/events', { headers: { authorization: `Bearer ${tokenFor('integrator', 'app-logs')}` }, data: events });
  expect(res.status()).toBe(202);
}

test('the per-minute chart fills in as the stream runs, and its CSV matches what it shows', async ({ page, request }) => {
  await signInOps(page.context());
  const from = new Date(M0 * 1000).toISOString();
  const to = new Date((M0 + 10 * 60) * 1000).toISOString();
  await page.goto(`/stats?grain=minute&from=${from}&to=${to}`);
  const chart = page.getByTestId('chart-unique-users');
  await expect(page.getByTestId('stats-live')).toHaveText(/Live/);
  await expect(chart).toHaveAttribute('data-points', '0');

  await sendMinute(request, 0);
  await sendMinute(request, 1);
  await expect(chart).toHaveAttribute('data-points', '1'); // pushed: no reload
  for (let k = 2; k < MINUTES; k++) await sendMinute(request, k);
  await expect(chart).toHaveAttribute('data-points', String(MINUTES), { timeout: 30_000 });
  await expect(chart.locator('.recharts-line-curve').first()).toBeVisible();

  // what the chart shows, from its data table
  const rows = await page.getByTestId('table-unique-users').locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );
  expect(rows.map((r) => [r[0], Number(r[1])])).toEqual(
    Array.from({ length: MINUTES }, (_, k) => [new Date((M0 + k * 60) * 1000).toISOString(), usersIn(k)]),
  );

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-unique-users').click()]);
  expect(download.suggestedFilename()).toBe('unique-users-minute.csv');
  const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r\n/);
  expect(csv[0]).toBe('window_start,unique_users,late_events,future_events,final,partial');
  expect(csv.slice(1).map((line) => line.split(','))).toEqual(rows);

  // the same minutes through the API the page reads
  const api = await (await page.request.get(`/api/stats/unique-users?grain=minute&from=${from}&to=${to}`)).json();
  expect(api.points.map((p: { uniqueUsers: number }) => p.uniqueUsers)).toEqual(Array.from({ length: MINUTES }, (_, k) => usersIn(k)));
  expect(api.points.every((p: { final: boolean }) => p.final)).toBe(true);
  // distinct users over the range (HyperLogLog, ±0.81%): every user of the stream is distinct
  const total = Array.from({ length: MINUTES }, (_, k) => usersIn(k)).reduce((a, b) => a + b, 0);
  expect(Math.abs(api.distinctUsers.value - total)).toBeLessThanOrEqual(Math.ceil(total * 0.03));
  // the month so far: every user of the stream, exact, not final while the month runs
  const month = await (await page.request.get(`/api/stats/unique-users?grain=month&from=${from}&to=${to}`)).json();
  expect(month.points).toEqual([expect.objectContaining({ uniqueUsers: total, final: false })]);
});

test('the stats page and its API need an ops login', async ({ page }) => {
  await page.goto('/stats?range=24h');
  await expect(page).toHaveURL(/\/login\?next=%2Fstats/);
  expect((await page.request.get('/api/stats/unique-users')).status()).toBe(401);
});

test('a bad range is refused naming the field', async ({ page }) => {
  await signInOps(page.context());
  const res = await page.request.get('/api/stats/unique-users?grain=week');
  expect(res.status()).toBe(400);
  expect((await res.json()).error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('grain'), issues: [{ field: '/grain' }] });
});
