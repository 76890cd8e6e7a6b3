import { expect, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { servers } from '../playwright.config';

export const DEMO_PASSWORD = 'lanyard-demo';
export const OWNER = 'owner@example.com';
export const SHORT = `http://127.0.0.1:${servers.short.port}`;
export const IDLE = `http://127.0.0.1:${servers.idle.port}`;
export const LIMITED = `http://127.0.0.1:${servers.limited.port}`;

/** Answers the API gives on purpose (a refused refresh, a 402 or 403): the browser logs each. */
const EXPECTED_REFUSAL = /Failed to load resource: the server responded with a status of (40[1-3]|50[03])|net::ERR_INTERNET_DISCONNECTED|Failed to fetch/;

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

/** Runs the operator CLI (the real binary) against one of the test servers' databases. */
export function cli(args: string[], server: keyof typeof servers = 'standard'): string {
  const root = path.resolve(__dirname, '..', '..');
  return execFileSync(path.join(root, 'target/debug/server'), args, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: `sqlite://${servers[server].db}`, LANYARD_DEMO: '0', RUST_LOG: 'warn' },
    encoding: 'utf8',
  });
}

let counter = 0;
/** A fresh user of its own account, so a test can suspend or sign out everywhere without touching others. */
export function freshUser(server: keyof typeof servers = 'standard', role = 'owner'): string {
  counter += 1;
  const email = `e2e-${Date.now()}-${counter}@example.com`;
  cli(['admin', 'user', 'create', '--email', email, '--password', DEMO_PASSWORD, '--role', role, '--account', email], server);
  return email;
}

export async function signIn(page: Page, email = OWNER, password = DEMO_PASSWORD, remember = false) {
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (remember) await page.getByLabel('Keep me logged in for 20 days').check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function expectSignedIn(page: Page, email = OWNER) {
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await expect(page.locator('.who')).toHaveText(email);
}

/** Uses the page for `seconds` as a person would (a mouse move every 3 s), signed in throughout. */
export async function useFor(page: Page, seconds: number) {
  for (let second = 0; second < seconds; second += 3) {
    await page.mouse.move(100 + second, 200);
    await page.waitForTimeout(3_000);
    await expectSignedIn(page);
  }
}

export async function expectDashboard(page: Page, email = OWNER) {
  await expect(page).toHaveURL(/\/$/);
  await expectSignedIn(page, email);
}

export type TokenStatus = {
  signedIn: boolean;
  accessExpiresAt: number | null;
  accessExpiresInSecs: number | null;
  sessionExpiresAt: number | null;
  sessionExpiresInSecs: number | null;
  level: string;
  lastRefreshAt: number | null;
  sessionId: string | null;
};

export async function tokenStatus(page: Page): Promise<TokenStatus> {
  return page.evaluate(() => (window as any).__tokenMonitor.getTokenStatus());
}

/** Two tabs of one browser on the server at `base`: signed in in the first, restored in the second. */
export async function twoSignedInTabs(context: BrowserContext, base: string): Promise<[Page, Page]> {
  const first = await context.newPage();
  await first.goto(`${base}/signin`);
  await signIn(first);
  await expectSignedIn(first);
  const second = await context.newPage();
  await second.goto(`${base}/`);
  await expectSignedIn(second);
  return [first, second];
}
