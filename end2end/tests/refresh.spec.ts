import { expect, test } from '@playwright/test';
import { SHORT, twoSignedInTabs, expectSignedIn, signIn, tokenStatus, useFor, watchConsole } from './fixtures';

// These run against the `short` server: access tokens live 5 seconds.

test('with 5-second access tokens the user stays signed in through 30 s of use', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`${SHORT}/signin`);
  await signIn(page);
  await expectSignedIn(page);
  const first = await tokenStatus(page);

  await useFor(page, 30);

  const later = await tokenStatus(page);
  expect(later.signedIn).toBe(true);
  expect(later.lastRefreshAt!).toBeGreaterThan(first.lastRefreshAt!);
  expect(later.accessExpiresAt!).toBeGreaterThan(first.accessExpiresAt! + 20);
  await page.keyboard.press('Control+Shift+KeyD');
  await expect(page.getByRole('dialog', { name: 'Auth debug panel' }).locator('.last-refresh')).toHaveText(/just now/);
  expect(problems).toEqual([]);
});

test('a 20-second job finishes although the access token lives 5 seconds', async ({ page }) => {
  await page.goto(`${SHORT}/signin?next=%2Fjobs`);
  await signIn(page);
  await expect(page).toHaveURL(/\/jobs$/);
  await page.getByRole('button', { name: 'Start job' }).click();
  const bar = page.getByRole('progressbar');
  await expect(bar).toBeVisible();
  await expect(page.getByText('Job finished')).toBeVisible({ timeout: 40_000 });
  await expect(bar).toHaveAttribute('aria-valuenow', '100');
  await expectSignedIn(page);
});

test('two tabs whose tokens expire together send one refresh, and a sign-out reaches both', async ({ context }) => {
  const [tabA, tabB] = await twoSignedInTabs(context, SHORT);

  // Once one tab has refreshed for both, their tokens expire together.
  await expect.poll(async () => (await tokenStatus(tabA)).accessExpiresAt === (await tokenStatus(tabB)).accessExpiresAt,
    { timeout: 15_000 }).toBe(true);
  const refreshes: number[] = [];
  for (const tab of [tabA, tabB]) {
    tab.on('request', (request) => {
      if (request.url().endsWith('/api/auth/refresh')) refreshes.push(Date.now());
    });
  }
  await tabA.waitForTimeout(13_000);

  expect(refreshes.length).toBeGreaterThanOrEqual(2);
  const gaps = refreshes.slice(1).map((at, i) => at - refreshes[i]);
  expect(Math.min(...gaps), `refreshes at ${refreshes}`).toBeGreaterThan(2_000);
  await expectSignedIn(tabA);
  await expectSignedIn(tabB);

  await tabA.getByRole('button', { name: 'Sign out', exact: true }).click();
  for (const tab of [tabA, tabB]) {
    await expect(tab).toHaveURL(/\/signin/);
    const banner = tab.getByRole('alert');
    await expect(banner).toContainText('Session ended');
    await expect(banner).toContainText('You signed out.');
  }
  expect(await tabA.evaluate(() => JSON.parse(localStorage.getItem('logout_history') ?? '[]').length)).toBeGreaterThan(0);
});
