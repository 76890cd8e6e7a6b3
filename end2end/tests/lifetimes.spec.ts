import { expect, test } from '@playwright/test';
import { expectDashboard, signIn, tokenStatus } from './fixtures';

const DAY = 86_400;

for (const [remember, days] of [[true, 20], [false, 7]] as const) {
  test(`signing in ${remember ? 'with' : 'without'} "Keep me logged in" gives a ${days}-day session`, async ({ page }) => {
    await page.goto('/signin');
    await signIn(page, undefined, undefined, remember);
    await expectDashboard(page);

    await page.keyboard.press('Control+Shift+KeyD');
    const panel = page.getByRole('dialog', { name: 'Auth debug panel' });
    await expect(panel).toBeVisible();
    const expiry = panel.locator('.session-expiry');
    const shownSecs = async () => Number(await expiry.getAttribute('data-secs'));
    await expect.poll(async () => Math.abs((await shownSecs()) - days * DAY)).toBeLessThan(120);
    // As people read it: "19 d 23 h" (or "20 d 0 h" within the first minute).
    await expect(expiry).toHaveText(new RegExp(`^(${days - 1} d 23 h|${days} d 0 h)$`));
    const status = await tokenStatus(page);
    expect(Math.abs((status.sessionExpiresInSecs ?? 0) - days * DAY)).toBeLessThan(120);
  });
}
