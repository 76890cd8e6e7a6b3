import { expect, type Page } from '@playwright/test';

export const DEMO_PASSWORD = 'lanyard-demo';
export const OWNER = 'owner@example.com';

/** Answers the API gives on purpose (a refused refresh, a 402 or 403): the browser logs each. */
const EXPECTED_REFUSAL = /Failed to load resource: the server responded with a status of 40[1-3]/;

/** Collects every hydration warning, console error and uncaught error the page logs. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (EXPECTED_REFUSAL.test(text)) return;
    if (message.type() === 'error' || /hydrat/i.test(text)) problems.push(`${message.type()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

export async function signIn(page: Page, email = OWNER, password = DEMO_PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function expectDashboard(page: Page, email = OWNER) {
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await expect(page.getByText(email).first()).toBeVisible();
}
