import { expect, test } from '@playwright/test';
import { IDLE, twoSignedInTabs } from './fixtures';

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
