import { expect, test } from '@playwright/test';
import { LIMITED, cli, expectSignedIn, freshUser, signIn } from './fixtures';

test('a suspended account shows the notice, then the banner, and signing in again returns to the page', async ({ page }) => {
  const email = freshUser();
  await page.goto('/signin?next=%2Fjobs');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/jobs$/);
  await expectSignedIn(page, email);

  cli(['admin', 'account', 'status', '--email', email, 'suspended']);
  await page.waitForTimeout(1_000);
  // The next call: the tab learns on focus (as when the user comes back to it).
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));

  await expect(page.locator('.notice.ended')).toContainText('Session ended');
  await expect(page).toHaveURL(/\/signin\?next=%2Fjobs/);
  const banner = page.getByRole('alert');
  await expect(banner).toContainText('Your account is suspended.');
  await expect(banner).toContainText('Original page: /jobs');
  await banner.getByRole('button', { name: 'Details' }).click();
  await expect(banner).toContainText('ACCOUNT_SUSPENDED');
  await expect(banner).toContainText('backend');

  cli(['admin', 'account', 'status', '--email', email, 'active']);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/jobs$/);
  await expectSignedIn(page, email);
});

test('"Sign out everywhere" in one browser ends the session in another with LOGOUT_ALL', async ({ browser }) => {
  const email = freshUser();
  const contextA = await browser.newContext();
  const contextB = await browser.newContext();
  const pageA = await contextA.newPage();
  const pageB = await contextB.newPage();
  for (const page of [pageB, pageA]) {
    await page.goto('/signin?next=%2Fsessions');
    await signIn(page, email);
    await expect(page.getByRole('heading', { name: 'Your sessions' })).toBeVisible();
  }
  await expect(pageA.getByText('This device')).toBeVisible();
  await expect(pageA.getByRole('button', { name: 'End session' })).toHaveCount(1);

  await pageA.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(pageA).toHaveURL(/\/signin/);
  await expect(pageA.getByRole('alert')).toContainText('You signed out everywhere.');

  await pageB.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(pageB).toHaveURL(/\/signin\?next=%2Fsessions/);
  const bannerB = pageB.getByRole('alert');
  await expect(bannerB).toContainText('You signed out everywhere.');
  await bannerB.getByRole('button', { name: 'Details' }).click();
  await expect(bannerB).toContainText('LOGOUT_ALL');

  await signIn(pageB, email);
  await expect(pageB.getByRole('heading', { name: 'Recently ended' })).toBeVisible();
  await expect(pageB.locator('.session-list.ended .end-reason').filter({ hasText: 'You signed out everywhere.' })).toHaveCount(2);
  await contextA.close();
  await contextB.close();
});

test('a sign-in beyond the session limit ends the older device with SESSION_LIMIT and says so', async ({ browser }) => {
  const email = freshUser('limited');
  const older = await (await browser.newContext()).newPage();
  const newer = await (await browser.newContext()).newPage();
  await older.goto(`${LIMITED}/signin?next=%2Fjobs`);
  await signIn(older, email);
  await expect(older).toHaveURL(/\/jobs$/);

  await newer.goto(`${LIMITED}/signin`);
  await signIn(newer, email);
  await expectSignedIn(newer, email);

  await older.evaluate(() => window.dispatchEvent(new Event('focus')));
  await expect(older).toHaveURL(/\/signin\?next=%2Fjobs/);
  const banner = older.getByRole('alert');
  await expect(banner).toContainText('You were signed out because your account signed in on too many devices.');
  await banner.getByRole('button', { name: 'Details' }).click();
  await expect(banner).toContainText('SESSION_LIMIT');
  await expectSignedIn(newer, email);
});

test('"Sign out everywhere" that cannot reach the server signs nothing out and says so', async ({ page }) => {
  const email = freshUser();
  await page.goto('/signin?next=%2Fsessions');
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Your sessions' })).toBeVisible();

  await page.route('**/api/auth/logout_all', (route) => route.fulfill({
    status: 503,
    headers: { 'retry-after': '1' },
    contentType: 'application/json',
    body: JSON.stringify({ error: 'SERVICE_UNAVAILABLE', message: 'database down', logout_reason: null }),
  }), { times: 1 });
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  const notice = page.getByRole('status').filter({ hasText: 'Nothing was signed out.' });
  await expect(notice).toContainText("Can't reach lanyard right now; try again shortly.");
  // The list reloads after the attempt, and the notice stays until the next attempt.
  await expect(page.getByText('This device')).toBeVisible();
  await expect(notice).toBeVisible();
  await expect(page).toHaveURL(/\/sessions$/);
  await expectSignedIn(page, email);
  await page.reload();
  await expectSignedIn(page, email);

  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole('alert')).toContainText('You signed out everywhere.');
});
