import { expect, test } from '@playwright/test';
import { expectSignedIn, signIn, tokenStatus, watchConsole } from './fixtures';

test('403, 402, 500 and a lost network keep the user signed in', async ({ page, context }) => {
  const problems = watchConsole(page);
  await page.goto('/signin?next=%2Fadmin');
  await signIn(page);
  await expect(page.getByText('Active sessions')).toBeVisible();

  let answer: { status: number; body: object } | null = null;
  await page.route('**/api/admin/overview', (route) =>
    answer ? route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) }) : route.continue());
  const reopenAdmin = async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
  };

  answer = { status: 403, body: { error: 'FORBIDDEN', message: 'no', logout_reason: null } };
  await reopenAdmin();
  await expect(page.getByText("You don't have permission to view this page.")).toBeVisible();
  await expectSignedIn(page);

  answer = { status: 402, body: { logout_reason: 'PLAN_INACTIVE', logout_message: 'Your plan is inactive — see Billing.', logout_path: '/admin', logout_context: {} } };
  await reopenAdmin();
  const billingNotice = page.locator('.notice.billing');
  await expect(billingNotice).toContainText('Your plan is inactive');
  await expect(billingNotice.getByRole('link', { name: 'Open Billing' })).toHaveAttribute('href', '/billing');
  await expectSignedIn(page);

  answer = { status: 500, body: { error: 'INTERNAL', message: 'boom', logout_reason: null } };
  await reopenAdmin();
  await expect(page.locator('.notice.retry')).toBeVisible();
  await expectSignedIn(page);

  answer = null;
  await context.setOffline(true);
  await reopenAdmin();
  await expect(page.getByText("Can't reach lanyard right now; try again shortly.")).toBeVisible();
  await context.setOffline(false);
  await reopenAdmin();
  await expect(page.getByText('Active sessions')).toBeVisible();

  await expectSignedIn(page);
  expect((await tokenStatus(page)).signedIn).toBe(true);
  expect(await page.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();
  expect(problems).toEqual([]);
});

test('a viewer sees the permission message on the admin page and stays signed in', async ({ page }) => {
  await page.goto('/signin?next=%2Fadmin');
  await signIn(page, 'viewer@example.com');
  await expect(page.getByText("You don't have permission to view this page.")).toBeVisible();
  await expectSignedIn(page, 'viewer@example.com');
});

test('a reload while the server answers 503 keeps restoring, then restores the session', async ({ page }) => {
  await page.goto('/signin');
  await signIn(page);
  await expectSignedIn(page);

  let failures = 2;
  await page.route('**/api/auth/refresh', (route) => {
    if (failures <= 0) return route.continue();
    failures -= 1;
    return route.fulfill({ status: 503, headers: { 'retry-after': '1' }, contentType: 'application/json',
      body: JSON.stringify({ error: 'SERVICE_UNAVAILABLE', message: 'try again', logout_reason: null }) });
  });
  await page.reload();

  await expect(page.getByText('Restoring your session…')).toBeVisible();
  await expect(page.getByText(/Can't reach lanyard right now; retrying/)).toBeVisible();
  await expectSignedIn(page);
  expect(failures).toBe(0);
  await expect(page).toHaveURL(/\/$/);
});
