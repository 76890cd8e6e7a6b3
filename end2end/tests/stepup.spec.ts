import { expect, test, type Browser, type Page } from '@playwright/test';
import { servers } from '../playwright.config';
import { DEMO_PASSWORD, SHORT, cli, expectSignedIn, freshUser, signIn } from './fixtures';

const STANDARD = `http://127.0.0.1:${servers.standard.port}`;

/** Signs `email` in on `base` in a browser profile of its own (its own device id). */
async function signedInProfile(browser: Browser, base: string, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/signin`);
  await signIn(page, email);
  await expectSignedIn(page, email);
  return page;
}

test('a stale session ends another user\'s sessions after a password dialog, without leaving the page', async ({ browser }) => {
  // The short server's reauth window is 5 s: wait it out instead of ten minutes.
  const owner = freshUser('short');
  const viewer = `viewer-${owner}`;
  cli(['admin', 'user', 'create', '--email', viewer, '--password', DEMO_PASSWORD, '--role', 'viewer', '--account', owner], 'short');
  const viewerPage = await signedInProfile(browser, SHORT, viewer);
  const page = await signedInProfile(browser, SHORT, owner);
  await page.waitForTimeout(6_000);
  await page.goto(`${SHORT}/admin/users`);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: viewer });
  await expect(row.getByRole('cell', { name: '1', exact: true })).toBeVisible();
  await row.getByRole('button', { name: 'End sessions' }).click();

  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Password').fill('not the password');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByRole('status')).toHaveText('The password is incorrect.');
  await dialog.getByLabel('Password').fill(DEMO_PASSWORD);
  await dialog.getByRole('button', { name: 'Confirm' }).click();

  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: `Ended 1 session of ${viewer}.` })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expectSignedIn(page, owner);
  await expect(row.getByRole('cell', { name: '0', exact: true })).toBeVisible();

  await viewerPage.reload();
  await expect(viewerPage.getByRole('alert')).toContainText('An administrator ended this session.');
});

test('cancelling the password dialog keeps the session and the page', async ({ page }) => {
  const owner = freshUser('short');
  await page.goto(`${SHORT}/signin`);
  await signIn(page, owner);
  await expectSignedIn(page, owner);
  await page.waitForTimeout(6_000);
  await page.goto(`${SHORT}/admin/users`);
  await page.getByRole('row').filter({ hasText: owner }).getByRole('button', { name: 'End sessions' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Confirm your password to continue.' })).toBeVisible();
  await expectSignedIn(page, owner);
});

test('the activity page lists a sign-in, a password change and an ending with its message', async ({ browser }) => {
  const email = freshUser();
  const phone = await signedInProfile(browser, STANDARD, email);
  await phone.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(phone.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  const page = await signedInProfile(browser, STANDARD, email);
  await page.goto(`${STANDARD}/account/password`);
  await page.getByLabel('Current password').fill(DEMO_PASSWORD);
  await page.getByLabel('New password').fill('a brand new password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Password changed.' })).toBeVisible();

  await page.goto(`${STANDARD}/security`);
  await expect(page.getByRole('heading', { name: 'Security activity' })).toBeVisible();
  const items = page.getByRole('listitem').filter({ has: page.locator('time') });
  await expect(items.filter({ hasText: 'Password changed' })).toHaveCount(1);
  await expect(items.filter({ hasText: 'Session ended: You signed out.' })).toHaveCount(1);
  await expect(items.filter({ hasText: 'New device' })).toHaveCount(2);
  await expect(items.first()).toContainText('Password changed');
  await expect(items.filter({ hasText: 'This device' }).first()).toContainText('Chrome');

  // A sign-in the user does not recognise: "This wasn't me" ends it and offers the password page.
  const intruder = await (await browser.newContext()).newPage();
  await intruder.goto(`${STANDARD}/signin`);
  await signIn(intruder, email, 'a brand new password');
  await expectSignedIn(intruder, email);
  await page.reload();
  await page.getByRole('button', { name: "This wasn't me" }).click();
  await expect(page).toHaveURL(/\/account\/password$/);
  await intruder.reload();
  await expect(intruder.getByRole('alert')).toContainText('You were signed out from another device.');
});

test('a sign-in on a new device shows a notice on the other session, whose "Not you? End it" ends it', async ({ browser }) => {
  const email = freshUser();
  const page = await signedInProfile(browser, STANDARD, email);
  const other = await signedInProfile(browser, STANDARD, email);
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  const notice = page.getByRole('status').filter({ hasText: 'New sign-in on Chrome, 127.0.0.1' });
  await expect(notice).toBeVisible();
  await expect(other.getByRole('status').filter({ hasText: 'New sign-in' })).toHaveCount(0);
  await notice.getByRole('button', { name: 'Not you? End it' }).click();
  await expect(page.getByRole('link', { name: 'Change your password' })).toBeVisible();
  await expectSignedIn(page, email);
  await other.reload();
  await expect(other.getByRole('alert')).toContainText('You were signed out from another device.');
});
