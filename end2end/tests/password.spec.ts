import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD, expectSignedIn, freshUser, signIn } from './fixtures';

// A password change holds the cross-tab refresh lock, since it replaces the refresh cookie (SPEC §4
// "A password change is all or nothing, and its answer may be lost").

const NEW_PASSWORD = 'a brand new password';

async function changePassword(page: import('@playwright/test').Page) {
  await page.getByLabel('Current password').fill(DEMO_PASSWORD);
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
}

test('a 401 without a reason inside a password change refreshes at once instead of waiting for its own lock', async ({ page }) => {
  const email = freshUser();
  await page.goto('/signin?next=%2Faccount%2Fpassword');
  await signIn(page, email);
  await expect(page.getByLabel('Current password')).toBeVisible();

  // As when the access token expired just before the change: the first answer asks for a refresh.
  await page.route('**/api/auth/password', (route) => route.fulfill({
    status: 401,
    contentType: 'application/json',
    body: JSON.stringify({ error: 'ACCESS_TOKEN_INVALID', message: 'expired', logout_reason: null }),
  }), { times: 1 });
  const started = Date.now();
  await changePassword(page);
  // Waiting for the lock would take the 15 s lock deadline.
  await expect(page.getByRole('status').filter({ hasText: 'Password changed.' })).toBeVisible({ timeout: 8_000 });
  expect(Date.now() - started).toBeLessThan(8_000);
  await expectSignedIn(page, email);
  await page.reload();
  await expectSignedIn(page, email);
});

test('a password change whose answer is lost refreshes at once under the lock, and the session carries on', async ({ page, playwright }) => {
  test.setTimeout(60_000);
  const email = freshUser();
  await page.goto('/signin?next=%2Faccount%2Fpassword');
  await signIn(page, email);
  await expect(page.getByLabel('Current password')).toBeVisible();

  let refreshes = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/api/auth/refresh')) refreshes += 1;
  });
  // The change reaches the server from another client (its answer and new cookie go nowhere), and
  // the browser's own request loses its connection.
  const elsewhere = await playwright.request.newContext();
  let changed = 0;
  await page.route('**/api/auth/password', async (route) => {
    const request = route.request();
    const sent = await request.allHeaders();
    const headers = Object.fromEntries(['authorization', 'cookie', 'origin', 'content-type', 'x-page-path']
      .filter((name) => sent[name] !== undefined).map((name) => [name, sent[name]]));
    changed = (await elsewhere.post(request.url(), { headers, data: request.postData() ?? '' })).status();
    await route.abort('connectionreset');
  });
  await changePassword(page);
  await expect(page.locator('form').getByRole('status')).toContainText("Can't reach lanyard right now");
  expect(changed).toBe(200);
  await expect.poll(() => refreshes, { message: 'a refresh right after the lost answer' }).toBe(1);
  // The refresh reached lanyard: the notice that it could not be reached goes.
  await expect(page.locator('.notice.retry')).toHaveCount(0);
  await expectSignedIn(page, email);

  // Past the refresh grace window the tab, reloaded, still restores its session: it holds the new chain.
  await page.waitForTimeout(11_000);
  await page.reload();
  await expectSignedIn(page, email);
  await elsewhere.dispose();
});
