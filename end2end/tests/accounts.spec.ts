import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { servers } from '../playwright.config';
import { cli, expectSignedIn, signIn, watchConsole } from './fixtures';

// Creating an account, changing its address and inviting into it (SPEC §10), on the standard
// server, which runs with LANYARD_SIGNUP=open; each link arrives in its outbox, as in a mailbox.

const OUTBOX = path.resolve(__dirname, '..', '..', path.dirname(servers.standard.db), 'outbox');
const PASSWORD = 'a brand new passphrase';

/** The path and token of the newest link to `page` in a message of `kind` to `email`. */
async function mailedLink(kind: string, email: string, page: string): Promise<string> {
  let link = '';
  const pattern = new RegExp(`${page}\\?token=[A-Za-z0-9_-]{43}`);
  await expect.poll(() => {
    const names = fs.existsSync(OUTBOX) ? fs.readdirSync(OUTBOX).filter((name) => name.includes(`-${kind}-`)) : [];
    for (const name of names) {
      const message = fs.readFileSync(path.join(OUTBOX, name), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const found = message.includes(`To: ${email}`) ? message.match(pattern) : null;
      if (found) link = found[0];
    }
    return link;
  }, { timeout: 10_000 }).not.toBe('');
  return link;
}

test('a new account is created from /signin, confirmed by the link in the mail, and signed in to', async ({ page }) => {
  const problems = watchConsole(page);
  const email = `signup-${Date.now()}@example.com`;
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByRole('button', { name: 'Create account' })).toBeEnabled();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Account name').fill('Playwright & Co');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your email' })).toBeVisible();

  await page.goto('/signin');
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole('button', { name: 'Resend the link' })).toBeVisible();

  await page.goto(await mailedLink('verify_email', email, '/verify-email'));
  await expect(page).toHaveURL(/\/verify-email$/);
  await expect(page.getByRole('heading', { name: 'Email verified' })).toBeVisible();
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await signIn(page, email, PASSWORD);
  await expectSignedIn(page, email);
  expect(problems).toEqual([]);
});

test('an address is changed from /account/email and confirmed by the link sent to it', async ({ page }) => {
  const problems = watchConsole(page);
  const email = `change-${Date.now()}@example.com`;
  const next = `changed-${Date.now()}@example.com`;
  cli(['admin', 'user', 'create', '--email', email, '--password', PASSWORD, '--account', email]);
  await page.goto('/signin?next=%2Faccount%2Femail');
  await signIn(page, email, PASSWORD);
  await page.getByLabel('New email').fill(next);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Change email' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your new address' })).toBeVisible();

  await page.goto(await mailedLink('email_change', next, '/email-change'));
  await expect(page).toHaveURL(/\/email-change$/);
  await expect(page.getByRole('status')).toHaveText(`Your email is now ${next}.`);
  await page.goto('/');
  await expectSignedIn(page, next);
  expect(problems).toEqual([]);
});

test('an owner invites an address from /admin/users, and the invitee joins from the link', async ({ page, browser }) => {
  const problems = watchConsole(page);
  const owner = `owner-${Date.now()}@example.com`;
  const invitee = `invitee-${Date.now()}@example.com`;
  cli(['admin', 'user', 'create', '--email', owner, '--password', PASSWORD, '--role', 'owner', '--account', `team-${Date.now()}`]);
  await page.goto('/signin?next=%2Fadmin%2Fusers');
  await signIn(page, owner, PASSWORD);
  // The sign-in page has an "Email" field too: fill the invitation's once the users page shows.
  await expect(page.getByRole('heading', { name: 'Invite' })).toBeVisible();
  await page.getByLabel('Email').fill(invitee);
  await page.getByLabel('Role').selectOption('admin');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Invitation sent to ${invitee}.` })).toBeVisible();

  const other = await browser.newContext();
  const join = await other.newPage();
  await join.goto(await mailedLink('invitation', invitee, '/invite'));
  await expect(join).toHaveURL(/\/invite$/);
  await expect(join.getByRole('heading', { name: /^Join team-/ })).toBeVisible();
  await expect(join.getByText(`${invitee} is invited as admin.`)).toBeVisible();
  await join.getByLabel('Password').fill(PASSWORD);
  await join.getByRole('button', { name: 'Join' }).click();
  await expectSignedIn(join, invitee);
  await other.close();
  expect(problems).toEqual([]);
});
