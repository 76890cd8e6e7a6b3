import { expect, test } from '@playwright/test';
import { IDLE, expectSignedIn, signIn, twoSignedInTabs } from './fixtures';

// Against the `idle` server: sessions end after 65 s without activity in any tab.

test('activity in any tab counts; an idle session warns, then ends with IDLE_TIMEOUT', async ({ context }) => {
  test.setTimeout(150_000);
  const [tabA, tabB] = await twoSignedInTabs(context, IDLE);

  const countdown = tabA.locator('.notice.idle');
  for (let i = 0; i < 4; i += 1) {
    await tabB.mouse.move(50 + 10 * i, 80);
    await tabA.waitForTimeout(3_000);
    await expect(countdown, 'activity in tab B keeps tab A from counting down').toHaveCount(0);
  }

  await expect(countdown).toContainText('You will be signed out in', { timeout: 15_000 });
  await tabA.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(countdown).toHaveCount(0);

  await expect(tabA).toHaveURL(/\/signin/, { timeout: 90_000 });
  await expect(tabA.getByRole('alert')).toContainText('Signed out after inactivity.');
  await expect(tabB).toHaveURL(/\/signin/);
  await expect(tabB.getByRole('alert')).toContainText('Signed out after inactivity.');
});

test('a step of the wall clock is no inactivity: nothing counts down and nothing ends', async ({ page }) => {
  // As NTP or a resumed VM would: the browser's wall clock jumps ten minutes ahead.
  await page.addInitScript(() => {
    const wallClock = Date.now.bind(Date);
    let step = 0;
    (window as any).__stepWallClock = (ms: number) => { step += ms; };
    Date.now = () => wallClock() + step;
  });
  await page.goto(`${IDLE}/signin`);
  await signIn(page);
  await expectSignedIn(page);

  await page.evaluate(() => (window as any).__stepWallClock(10 * 60 * 1_000));
  const check = page.waitForRequest((request) => request.url().endsWith('/api/auth/me'));
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  const idle = Number((await check).headers()['x-user-idle']);
  expect(idle).toBeLessThan(5);

  // The monitor, ticking every second, sees no idle time either.
  await page.waitForTimeout(3_000);
  await expect(page.locator('.notice.idle')).toHaveCount(0);
  await expectSignedIn(page);
  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByText('This device')).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
});
