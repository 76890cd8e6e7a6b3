import { expect, test } from '@playwright/test';
import { DEMO_PASSWORD, OWNER, expectDashboard, expectSignedIn, signIn, tokenStatus, watchConsole } from './fixtures';

test('sign in, reload stays signed in, sign out returns to the sign-in page', async ({ page }) => {
  const problems = watchConsole(page);

  await page.goto('/signin');
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
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
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  await signIn(page);
  await expectDashboard(page);
});

test('a wrong password is refused with a message and no session', async ({ page }) => {
  await page.goto('/signin');
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  await signIn(page, OWNER, `${DEMO_PASSWORD}-wrong`);
  await expect(page.getByText('The email or password is incorrect.')).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
});

test('what is typed before the page is ready stays in the form and is what it submits', async ({ page }) => {
  const problems = watchConsole(page);
  // As on a slow connection: the WASM arrives only once the user (or a password manager) has filled
  // the form in.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/pkg/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/signin?next=%2Fjobs', { waitUntil: 'domcontentloaded' });
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeDisabled();
  await page.getByLabel('Email').fill(OWNER);
  await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByLabel('Keep me logged in for 20 days').check();

  release();
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  await expect(page.getByLabel('Email')).toHaveValue(OWNER);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue(DEMO_PASSWORD);
  await expect(page.getByLabel('Keep me logged in for 20 days')).toBeChecked();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await expect(page).toHaveURL(/\/jobs$/);
  await expectSignedIn(page);
  // "Keep me logged in" went with it: a 20-day session.
  expect((await tokenStatus(page)).sessionExpiresInSecs!).toBeGreaterThan(19 * 86_400);
  expect(problems).toEqual([]);
});
