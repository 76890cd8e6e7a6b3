import { expect, test } from '@playwright/test';
import { servers } from '../playwright.config';
import { cli, expectSignedIn, freshUser, signIn } from './fixtures';

const STANDARD = `http://127.0.0.1:${servers.standard.port}`;

test('a page restored from the back/forward cache checks its session before showing anything signed in', async ({ playwright }) => {
  // Playwright turns the back/forward cache off by default; this browser has it, as people's do.
  const browser = await playwright.chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  const page = await (await browser.newContext()).newPage();
  // What the restored page shows in its first frame, and whether it came from the cache at all.
  await page.addInitScript(() => {
    window.addEventListener('pageshow', (event) => {
      if (!event.persisted) return;
      requestAnimationFrame(() => {
        (window as any).__firstFrameUser = document.querySelector('.who')?.textContent ?? null;
      });
    });
  });
  const email = freshUser();
  await page.goto(`${STANDARD}/signin?next=%2Fjobs`);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/jobs$/);
  await expectSignedIn(page, email);

  await page.goto(`${STANDARD}/healthz`);
  // Meanwhile the session ends where this page cannot hear it.
  cli(['admin', 'sessions', 'revoke', '--email', email]);
  await page.goBack({ waitUntil: 'commit' });

  await expect.poll(() => page.evaluate(() => (window as any).__firstFrameUser), { message: 'restored from the cache' })
    .not.toBeUndefined();
  expect(await page.evaluate(() => (window as any).__firstFrameUser)).toBeNull();
  await expect(page).toHaveURL(/\/signin\?next=%2Fjobs/);
  await expect(page.getByRole('alert')).toContainText('An administrator ended this session.');
  await browser.close();
});
