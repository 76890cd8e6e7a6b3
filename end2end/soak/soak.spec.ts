import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';

// Each tab signs in, then browses and moves the mouse until the soak's time is up. Whenever it finds
// itself on /signin, it records the ending its banner and its logout history show, and signs in
// again. The soak binary checks each ending against its ledger.

const base = process.env.SOAK_URL!;
const emails = (process.env.SOAK_EMAILS ?? '').split(',').filter(Boolean);
const password = process.env.SOAK_PASSWORD!;
const seconds = Number(process.env.SOAK_SECONDS ?? '60');
const pages = ['/', '/sessions', '/jobs', '/billing'];

type Ending = { email: string; code: string; banner: boolean; history: boolean };

async function signIn(page: Page, email: string) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      if (!page.url().includes('/signin')) await page.goto(`${base}/signin`);
      await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
      return;
    } catch {
      // The proxy refused the sign-in, or it was slow: try again.
      await page.goto(`${base}/signin`).catch(() => {});
    }
  }
  throw new Error(`${email} could not sign in`);
}

async function noteEnding(page: Page, email: string): Promise<Ending> {
  const banner = await page.getByRole('alert').textContent({ timeout: 10_000 }).catch(() => '');
  const history = await page.evaluate(() => JSON.parse(localStorage.getItem('logout_history') ?? '[]'));
  const last = history[0];
  return {
    email,
    code: last?.code ?? 'OTHER_TAB_LOGOUT',
    banner: !!last && !!banner && banner.includes('Session ended') && banner.includes(last.message),
    history: !!last,
  };
}

test('Chromium tabs stay signed in through the soak', async ({ browser }) => {
  const endings: Ending[] = [];
  const deadline = Date.now() + seconds * 1_000;
  await Promise.all(emails.map(async (email) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/signin`);
    await signIn(page, email);
    let seenHistory = 0;
    for (let step = 0; Date.now() < deadline; step += 1) {
      await page.mouse.move(50 + (step % 200), 100 + (step % 50));
      await page.waitForTimeout(1_000);
      if (page.url().includes('/signin')) {
        const ending = await noteEnding(page, email);
        const length = await page.evaluate(() => JSON.parse(localStorage.getItem('logout_history') ?? '[]').length);
        ending.history &&= length > seenHistory;
        seenHistory = length;
        endings.push(ending);
        await signIn(page, email);
      } else if (step % 5 === 0) {
        await page.goto(`${base}${pages[(step / 5) % pages.length]}`).catch(() => {});
      }
    }
    await context.close();
  }));
  fs.writeFileSync(process.env.SOAK_RESULT!, JSON.stringify(endings));
});
