import { type BrowserContext, expect } from '@playwright/test';

/** The ops user the global setup gave the server. */
export function opsCredentials(): { name: string; password: string } {
  const { E2E_OPS_USER: name, E2E_OPS_PASSWORD: password } = process.env;
  if (!name || !password) throw new Error('E2E_OPS_USER / E2E_OPS_PASSWORD are not set: run through the Playwright global setup');
  return { name, password };
}

/** Signs the browser context in through the login API; its pages and `context.request` share the cookie. */
export async function signInOps(context: BrowserContext): Promise<void> {
  const res = await context.request.post('/api/auth/login', { data: opsCredentials() });
  expect(res.status()).toBe(200);
}
