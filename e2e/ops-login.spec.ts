import { type Page, expect, test } from '@playwright/test';
import { opsCredentials } from './ops-login';

async function submitLogin(page: Page, password: string) {
  await page.getByLabel('Name', { exact: true }).fill(opsCredentials().name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an ops manager signs in on a phone, sees the map with their name, and signs out', async ({ page }) => {
  const { name, password } = opsCredentials();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
  await expect(page.getByRole('heading', { name: 'lastmile ops' })).toBeVisible();

  await submitLogin(page, 'not-the-password');
  await expect(page.getByRole('alert').filter({ hasText: /wrong name or password/i })).toBeVisible();
  await expect(page).toHaveURL(/\/login\?/);
  await page.screenshot({ path: 'test-results/ops-login-wrong-password.png' });

  await submitLogin(page, password);
  await expect(page).toHaveURL(/:\d+\/$/);
  await expect(page.getByRole('heading', { name: 'lastmile · couriers' })).toBeVisible();
  await expect(page.getByTestId('ops-user')).toHaveText(name);
  await expect(page.getByTestId('courier-count')).toBeVisible(); // the couriers API took the cookie
  await page.screenshot({ path: 'test-results/ops-map-signed-in.png' });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
});

test('the orders page needs a sign-in, comes back after it, and sends a lapsed session to the login page', async ({ page, context }) => {
  await page.goto('/ops/orders');
  await expect(page).toHaveURL(/\/login\?next=%2Fops%2Forders$/);
  await submitLogin(page, opsCredentials().password);
  await expect(page).toHaveURL(/\/ops\/orders$/);
  await expect(page.getByRole('heading', { name: 'Orders' })).toBeVisible();

  // The session ends while the page is open: its next poll of the ops API answers 401.
  await context.clearCookies();
  await expect(page).toHaveURL(/\/login\?next=%2Fops%2Forders$/);
});
