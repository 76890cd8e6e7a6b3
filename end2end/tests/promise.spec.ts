import { expect, test, type Page } from '@playwright/test';
import { SHORT, expectSignedIn, signIn, tokenStatus } from './fixtures';

// What used to sign users out by accident (SPEC §4 "Deadlines" and the never-logout rules): each
// test reproduces one, and the user must stay signed in through it.

const json = (status: number, body: object, headers: Record<string, string> = {}) => ({
  status,
  headers,
  contentType: 'application/json',
  body: JSON.stringify(body),
});

function countRefreshes(page: Page): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/api/auth/refresh')) count += 1;
  });
  return () => count;
}

test('a 401 without a reason that outlives two refreshes fails the call and keeps the session', async ({ page }) => {
  await page.goto('/signin?next=%2Fadmin');
  await signIn(page);
  await expect(page.getByText('Active sessions')).toBeVisible();

  const refreshes = countRefreshes(page);
  // As from an instance whose clock runs behind: every token looks issued in the future.
  await page.route('**/api/admin/overview', (route) =>
    route.fulfill(json(401, { error: 'ACCESS_TOKEN_INVALID', message: 'iat in the future', logout_reason: null })));
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('link', { name: 'Admin', exact: true }).click();

  // The call fails in place as unavailable (the global retry notice may already be cleared by the
  // next call that succeeds).
  await expect(page.getByText("Can't reach lanyard right now; try again shortly.")).toBeVisible();
  await expectSignedIn(page);
  expect(refreshes()).toBe(2);
  await page.unroute('**/api/admin/overview');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByText('Active sessions')).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
});

test('a refresh answer without X-Session-User, after one with it, is no user mismatch', async ({ page }) => {
  await page.goto(`${SHORT}/signin`);
  await signIn(page);
  await expectSignedIn(page);

  let answers = 0;
  // One of two proxies strips the header.
  await page.route('**/api/auth/refresh', async (route) => {
    const response = await route.fetch();
    answers += 1;
    const headers = response.headers();
    if (answers % 2 === 0) delete headers['x-session-user'];
    await route.fulfill({ response, headers });
  });
  await expect.poll(() => answers, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);

  await expectSignedIn(page);
  expect((await tokenStatus(page)).signedIn).toBe(true);
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
});

test('a 403 during a restore keeps restoring with a notice, and never drops the session', async ({ page }) => {
  await page.goto('/signin');
  await signIn(page);
  await expectSignedIn(page);

  let refusals = 2;
  await page.route('**/api/auth/refresh', (route) => {
    if (refusals <= 0) return route.continue();
    refusals -= 1;
    return route.fulfill(json(403, { error: 'FORBIDDEN', message: 'blocked by a proxy', logout_reason: null }));
  });
  await page.reload();

  await expect(page.getByText('Restoring your session…')).toBeVisible();
  await expect(page.getByText(/refused to renew your session \(403\); retrying/)).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('lanyard_session'))).not.toBeNull();
  await expectSignedIn(page);
  await expect(page).toHaveURL(/\/$/);
  expect(refusals).toBe(0);
});

test('a tab that holds the refresh lock forever does not keep another tab restoring', async ({ context }) => {
  test.setTimeout(60_000);
  const frozen = await context.newPage();
  await frozen.goto('/signin');
  await signIn(frozen);
  await expectSignedIn(frozen);
  // As a frozen tab would: take the lock and never let go.
  await frozen.evaluate(() => { navigator.locks.request('lanyard-refresh', () => new Promise(() => {})); });

  const other = await context.newPage();
  await other.goto('/');
  await expect(other.getByText('Restoring your session…')).toBeVisible();
  // It waits for the lock at most the 15 s call deadline, then refreshes without it.
  await expect(other.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible({ timeout: 25_000 });
  await expectSignedIn(other);
  await expect(other).toHaveURL(/\/$/);
});

test('a sign-out during an outage waits, survives a reload, and ends the session once it can', async ({ page }) => {
  await page.goto('/signin');
  await signIn(page);
  await expectSignedIn(page);

  await page.route('**/api/auth/logout', (route) =>
    route.fulfill(json(503, { error: 'SERVICE_UNAVAILABLE', message: 'database down', logout_reason: null }, { 'retry-after': '1' })));
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByText(/Signing out… lanyard can't be reached/)).toBeVisible();
  await expect(page).toHaveURL(/\/$/);

  await page.reload();
  await expect(page.getByText(/Signing out… lanyard can't be reached/)).toBeVisible();
  await page.unroute('**/api/auth/logout');

  await expect(page).toHaveURL(/\/signin/, { timeout: 20_000 });
  await expect(page.getByRole('alert')).toContainText('You signed out.');
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin/);
  expect(await page.evaluate(() => localStorage.getItem('lanyard_signing_out'))).toBeNull();
});
