import { expect, test, type Page } from '@playwright/test';
import { SHORT, expectSignedIn, signIn, tokenStatus } from './fixtures';

// Only lanyard ends a session (SPEC §4): a 401 or 403 whose body is not lanyard's (a JSON object
// with the key `logout_reason`) comes from something in front of it, an SSO gateway, an
// identity-aware proxy or a captive portal, and means lanyard can't be reached.

const GATEWAY_ANSWERS = [
  { status: 401, contentType: 'text/html', body: '<!doctype html><title>Sign in to Example SSO</title><form></form>' },
  { status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'unauthorized', message: 'token expired' }) },
  { status: 403, contentType: 'text/html', body: '<html><body>Access denied by the proxy</body></html>' },
];

function countRequests(page: Page, suffix: string): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === suffix) count += 1;
  });
  return () => count;
}

test("a gateway's 401 or 403 at a restore keeps the session and retries with backoff", async ({ page }) => {
  await page.goto('/signin');
  await signIn(page);
  await expectSignedIn(page);

  let answered = 0;
  await page.route('**/api/auth/refresh', (route) =>
    answered < GATEWAY_ANSWERS.length ? route.fulfill(GATEWAY_ANSWERS[answered++]) : route.continue());
  await page.reload();

  await expect(page.getByText('Restoring your session…')).toBeVisible();
  await expect(page.getByText(/Can't reach lanyard right now; retrying in \d+ s\./)).toBeVisible();
  // The waits double (1 s, 2 s, 4 s) before the fourth try reaches lanyard.
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible({ timeout: 20_000 });
  await expectSignedIn(page);
  expect(answered).toBe(GATEWAY_ANSWERS.length);
  await expect(page).toHaveURL(/\/$/);
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
});

test("a gateway's 401 or 403 on a call fails it as unavailable, once, without a refresh", async ({ page }) => {
  await page.goto('/signin?next=%2Fadmin');
  await signIn(page);
  await expect(page.getByText('Active sessions')).toBeVisible();

  const refreshes = countRequests(page, '/api/auth/refresh');
  for (const answer of GATEWAY_ANSWERS) {
    let calls = 0;
    await page.route('**/api/admin/overview', (route) => {
      calls += 1;
      return route.fulfill(answer);
    });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await expect(page.getByText("Can't reach lanyard right now; try again shortly.")).toBeVisible();
    expect(calls, `${answer.status} ${answer.body}`).toBe(1);
    await page.unroute('**/api/admin/overview');
  }
  expect(refreshes()).toBe(0);
  await expectSignedIn(page);
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByText('Active sessions')).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
});

test("a gateway's 401 at a background refresh keeps the session, which renews once lanyard answers", async ({ page }) => {
  // The short server's access tokens live 5 seconds, so the monitor refreshes while the test watches.
  await page.goto(`${SHORT}/signin`);
  await signIn(page);
  await expectSignedIn(page);
  const first = await tokenStatus(page);

  let answered = 0;
  await page.route('**/api/auth/refresh', (route) =>
    answered < 2 ? route.fulfill(GATEWAY_ANSWERS[answered++]) : route.continue());
  await expect.poll(() => answered, { timeout: 15_000 }).toBe(2);
  await expect(page.locator('.notice.retry')).toContainText("Can't reach lanyard right now; your session is kept.");
  await expectSignedIn(page);

  // Tried again after 5 s, then 10 s: the third try reaches lanyard.
  await expect.poll(async () => (await tokenStatus(page)).lastRefreshAt ?? 0, { timeout: 30_000 })
    .toBeGreaterThan(first.lastRefreshAt!);
  await expectSignedIn(page);
  await expect(page.locator('.notice.retry')).toHaveCount(0);
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
});
