import { test, expect } from '@playwright/test';
import { servers } from '../playwright.config';
import { signIn, expectSignedIn, OWNER } from './fixtures';

// examples/host: another app built on lanyard's crates (SPEC §12), with its own site. Its /signin
// is lanyard's page; its /hello is its own page inside lanyard's protected frame, loaded from its
// own server function through lanyard's transport.
const host = `http://127.0.0.1:${servers.host.port}`;

test('the host app signs in on its /signin and its /hello greets the user', async ({ page }) => {
  await page.goto(`${host}/signin?next=%2Fhello`);
  await signIn(page);
  await expect(page).toHaveURL(`${host}/hello`);
  await expect(page.locator('.greeting')).toHaveText(`Hello, ${OWNER}`);
  await expectSignedIn(page);

  await page.reload();
  await expect(page.locator('.greeting')).toHaveText(`Hello, ${OWNER}`, { timeout: 15_000 });

  // With lanyard's `mfa` feature on, the host has the second factor's page too.
  await page.goto(`${host}/account/security`);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Set up authenticator app' })).toBeVisible();
});
