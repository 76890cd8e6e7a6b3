import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD, OWNER, expectDashboard, signIn, watchConsole } from './fixtures';

test('sign in, reload stays signed in, sign out returns to the sign-in page', async ({ page }) => {
  const problems = watchConsole(page);

  await page.goto('/signin');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await signIn(page);
  await expectDashboard(page);

  await page.reload();
  await expect(page.getByText('Restoring your session…').or(page.getByText(OWNER).first())).toBeVisible();
  await expectDashboard(page);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('access_token');

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByLabel('Email')).toBeVisible();

  await page.goto('/');
  await expect(page).toHaveURL(/\/signin/);
  expect(problems).toEqual([]);
});

test('a protected page without a session goes to sign-in and returns there afterwards', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await signIn(page);
  await expectDashboard(page);
});

test('a wrong password is refused with a message and no session', async ({ page }) => {
  await page.goto('/signin');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await signIn(page, OWNER, `${DEMO_PASSWORD}-wrong`);
  await expect(page.getByText('The email or password is incorrect.')).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
});
