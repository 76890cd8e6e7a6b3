import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { servers } from '../playwright.config';
import { expectSignedIn, freshUser, signIn, watchConsole } from './fixtures';

// A way back in (SPEC §10): the reset link arrives in the standard server's outbox, as in a
// mailbox; the page drops its token before any call; the user's other browser hears why it was
// signed out.

const OUTBOX = path.resolve(__dirname, '..', '..', path.dirname(servers.standard.db), 'outbox');
const NEW_PASSWORD = 'a reset passphrase';

/** The link of the newest reset message to `email`, once it is in the outbox. */
async function resetLink(email: string): Promise<string> {
  let link = '';
  await expect.poll(() => {
    const names = fs.existsSync(OUTBOX) ? fs.readdirSync(OUTBOX).filter((name) => name.includes('-password_reset-')) : [];
    for (const name of names) {
      const message = fs.readFileSync(path.join(OUTBOX, name), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const found = message.includes(`To: ${email}`) ? message.match(/https?:\/\/[^\s"<>]*\/reset-password\?token=[A-Za-z0-9_-]{43}/) : null;
      if (found) link = found[0];
    }
    return link;
  }, { timeout: 10_000 }).not.toBe('');
  return link.replace(/^https?:\/\/[^/]+/, '');
}

async function askForLink(page: Page, email: string) {
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('button', { name: 'Send reset link' })).toBeEnabled();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your email' })).toBeVisible();
}

test('a forgotten password is reset from the link in the mail, and the other browser says why it ended', async ({ page, browser }) => {
  const problems = watchConsole(page);
  const email = freshUser();
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto('/signin');
  await signIn(otherPage, email);
  await expectSignedIn(otherPage, email);

  await askForLink(page, email);
  const link = await resetLink(email);
  const carried: string[] = [];
  page.on('request', (request) => {
    const pagePath = request.headers()['x-page-path'];
    if (pagePath !== undefined) carried.push(pagePath);
  });
  await page.goto(link);
  await expect(page).toHaveURL(/\/reset-password$/);
  await expect(page.getByRole('button', { name: 'Set new password' })).toBeEnabled();
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expectSignedIn(page, email);
  expect(carried.filter((pagePath) => pagePath.includes('token')), 'no call carries the token').toEqual([]);
  expect(problems).toEqual([]);

  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/signin/);
  await expect(otherPage.getByRole('alert')).toContainText('Your password was reset.');
  await other.close();

  await page.goto(link);
  await expect(page.getByRole('button', { name: 'Set new password' })).toBeEnabled();
  await page.getByLabel('New password').fill('another reset passphrase');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'This link was already used.' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Send a new link' })).toBeVisible();
});
