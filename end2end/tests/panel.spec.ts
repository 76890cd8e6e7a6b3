import { expect, test } from '@playwright/test';
import { expectSignedIn, signIn, tokenStatus, watchConsole } from './fixtures';

test('Ctrl+Shift+D opens and closes the panel, which lists the logout history', async ({ page }) => {
  await page.goto('/signin');
  await signIn(page);
  await expectSignedIn(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page);
  await expectSignedIn(page);

  const panel = page.getByRole('dialog', { name: 'Auth debug panel' });
  await expect(panel).toHaveCount(0);
  await page.keyboard.press('Control+Shift+KeyD');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.logouts')).toContainText('MANUAL_LOGOUT');
  await expect(panel).not.toContainText('eyJ');
  await page.keyboard.press('Control+Shift+KeyD');
  await expect(panel).toHaveCount(0);
  await page.getByRole('button', { name: 'Open auth debug panel' }).click();
  await expect(panel).toBeVisible();
});

test('getTokenStatus answers the fields of the spec', async ({ page }) => {
  await page.goto('/signin');
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  const signedOut = await tokenStatus(page);
  expect(signedOut).toEqual({
    signedIn: false, accessExpiresAt: null, accessExpiresInSecs: null, sessionExpiresAt: null,
    sessionExpiresInSecs: null, level: 'signed_out', lastRefreshAt: null, sessionId: null,
  });
  await signIn(page);
  await expectSignedIn(page);
  const status = await tokenStatus(page);
  expect(Object.keys(status).sort()).toEqual(['accessExpiresAt', 'accessExpiresInSecs', 'lastRefreshAt', 'level',
    'sessionExpiresAt', 'sessionExpiresInSecs', 'sessionId', 'signedIn']);
  expect(status.signedIn).toBe(true);
  expect(Number.isInteger(status.accessExpiresAt)).toBe(true);
  expect(status.accessExpiresInSecs!).toBeGreaterThan(3_500);
  expect(status.level).toBe('ok');
  expect(status.sessionId).toMatch(/^[0-9a-f]{32}$/);
});

test('no page logs a hydration warning or an error', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/signin');
  await signIn(page);
  await expectSignedIn(page);
  for (const path of ['/', '/sessions', '/jobs', '/admin', '/admin/users', '/admin/logouts', '/admin/sessions', '/security', '/billing', '/account/password', '/signin']) {
    await page.goto(path);
    if (path !== '/signin') await expectSignedIn(page);
    else await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  }
  await page.goto('/admin/logouts');
  await expect(page.getByRole('img', { name: 'Logouts by reason' })).toBeVisible();
  await page.goto('/admin/sessions');
  await expect(page.getByRole('heading', { name: 'Session health' })).toBeVisible();
  for (const chart of ['Refreshes by outcome', 'Session length', 'Sign-ins by remember-me']) {
    await expect(page.getByRole('img', { name: chart })).toBeVisible();
  }
  // Every length band has its row; today's sign-ins (this test's among them) have their share kept.
  await expect(page.getByRole('row').filter({ hasText: 'under 5 min' })).toBeVisible();
  await expect(page.getByRole('cell', { name: '%' }).first()).toBeVisible();
  expect(problems).toEqual([]);
});
