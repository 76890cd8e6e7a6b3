import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import crypto from 'node:crypto';
import { servers } from '../playwright.config';
import { DEMO_PASSWORD, expectSignedIn, freshUser, signIn, watchConsole } from './fixtures';

// The second factor (SPEC §11) in Chromium: an authenticator app set up on /account/security and
// asked for in place at sign-in, recovery codes, and passkeys through Chromium's virtual
// authenticator. WebAuthn refuses IP addresses, so the passkey tests use `localhost`.

const STANDARD = `http://localhost:${servers.standard.port}`;
const SHORT = `http://localhost:${servers.short.port}`;

/** What an authenticator app shows for a base32 secret at `at` (Unix seconds): RFC 6238. */
function totp(secret: string, at = Date.now() / 1000): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[19] & 15;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

/** Chromium's virtual authenticator for this page: a platform authenticator that holds passkeys
 * and verifies its user. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.passes.length, 'axe checked the page').toBeGreaterThan(10);
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/signin/);
}

/** A password, then "Use a recovery code" in place, and `code`. */
async function signInWithRecoveryCode(page: Page, email: string, code: string) {
  await signIn(page, email);
  await page.getByRole('link', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

test('an authenticator app is set up, then asked for in place at sign-in; a recovery code works once', async ({ page }) => {
  const problems = watchConsole(page);
  const email = freshUser();
  await page.goto('/signin');
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
  expect(await seriousViolations(page)).toEqual([]);
  await signIn(page, email);
  await expectSignedIn(page, email);
  await page.goto('/security');
  await page.getByRole('link', { name: 'Two-factor authentication and passkeys' }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = (await page.locator('code.secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByLabel('Code', { exact: true }).fill('000000' === totp(secret) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The code is not valid.' })).toBeVisible();
  await page.getByLabel('Code', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Two-factor authentication is on.' })).toBeVisible();
  const codes = await page.locator('.recovery-codes code').allTextContents();
  expect(codes).toHaveLength(10);
  await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();

  await signOut(page);
  await signIn(page, email);
  await expect(page.getByLabel('Authentication code')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  // The code of the next 30-second step: the one just used to turn the app on works no more.
  await page.getByLabel('Authentication code').fill(totp(secret, Date.now() / 1000 + 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expectSignedIn(page, email);

  await signOut(page);
  await signInWithRecoveryCode(page, email, codes[0]);
  await expectSignedIn(page, email);
  await signOut(page);
  await signInWithRecoveryCode(page, email, codes[0]);
  await expect(page.getByRole('status').filter({ hasText: 'The code is not valid.' })).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);

  await page.getByLabel('Recovery code').fill(codes[1]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expectSignedIn(page, email);
  await page.goto('/security');
  await expect(page.getByText('Two-factor authentication turned on')).toBeVisible();
  await expect(page.getByText('Recovery code used').first()).toBeVisible();
  expect(problems).toEqual([]);
});

test('a passkey is added, then signs in with no email typed, or in place after a password', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: STANDARD });
  const page = await context.newPage();
  const problems = watchConsole(page);
  const authenticator = await virtualAuthenticator(page);
  const email = freshUser();
  await page.goto('/signin');
  await signIn(page, email);
  await expectSignedIn(page, email);
  await page.goto('/account/security');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Passkey added.' })).toBeVisible();
  await expect(page.locator('.recovery-codes code')).toHaveCount(10);
  await expect(page.getByRole('button', { name: 'Remove' })).toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);

  await signOut(page);
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expectSignedIn(page, email);

  // A password sign-in of a passkey user asks for the passkey in place; a prompt that fails (here the
  // authenticator cannot verify the user) is said on the page, and the same step tries again.
  await signOut(page);
  await signIn(page, email);
  await authenticator.cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator.id, isUserVerified: false });
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The passkey' })).toBeVisible();
  await authenticator.cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator.id, isUserVerified: true });
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expectSignedIn(page, email);
  await page.goto('/security');
  await expect(page.getByText('Passkey added')).toBeVisible();
  expect(problems).toEqual([]);
  await context.close();
});

test('step-up by passkey: removing a passkey after the window asks for it in place, and ends nothing', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: SHORT });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await virtualAuthenticator(page);
  const email = freshUser('short');
  await page.goto('/signin');
  await signIn(page, email);
  await expectSignedIn(page, email);
  await page.goto('/account/security');
  await expect(page.getByRole('button', { name: 'Add a passkey' })).toBeVisible();
  // The short server's window is 5 seconds: adding a passkey now asks for the password.
  await page.waitForTimeout(6_000);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.getByRole('dialog').getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Passkey added.' })).toBeVisible();

  await page.waitForTimeout(6_000);
  await page.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Passkey removed.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove' })).toHaveCount(0);
  await expectSignedIn(page, email);
  await page.goto('/security');
  await expect(page.getByText('Passkey removed')).toBeVisible();
  expect(problems).toEqual([]);
  await context.close();
});
