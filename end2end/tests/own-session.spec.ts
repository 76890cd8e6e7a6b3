import { expect, test, type Page } from '@playwright/test';
import { DEMO_PASSWORD, expectSignedIn, freshUser, signIn, tokenStatus } from './fixtures';

// Endings belong to one session, and so does a pending sign-out (SPEC §4, added 2026-12-07).

const json = (status: number, body: object, headers: Record<string, string> = {}) => ({
  status,
  headers,
  contentType: 'application/json',
  body: JSON.stringify(body),
});

/** Makes the tab's next session check (`me`, on focus) refresh, as when its access token expired. */
async function refreshOnNextCheck(page: Page) {
  await page.route('**/api/auth/me',
    (route) => route.fulfill(json(401, { error: 'ACCESS_TOKEN_INVALID', message: 'expired', logout_reason: null })),
    { times: 1 });
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
}

/** The sessions of `email` as the API lists them, from a sign-in of its own outside the browser. */
async function sessionsOf(page: Page, email: string) {
  const origin = new URL(page.url()).origin;
  const api = page.context().request;
  const login = await api.post(`${origin}/api/auth/login`, {
    headers: { origin }, data: { email, password: DEMO_PASSWORD },
  });
  expect(login.ok()).toBe(true);
  const { access_token: token, session_id: own } = await login.json();
  const answer = await api.get(`${origin}/api/auth/sessions`, { headers: { authorization: `Bearer ${token}` } });
  const sessions = await answer.json();
  return { ...sessions, own } as { active: { id: string }[]; ended: { id: string; end_reason: string }[]; own: string };
}

test('two users in one browser: the first one\'s tab ends its own session, the second one\'s carries on', async ({ context }) => {
  const ada = freshUser();
  const bob = freshUser();
  const tabA = await context.newPage();
  await tabA.goto('/signin?next=%2Fjobs');
  await signIn(tabA, ada);
  await expectSignedIn(tabA, ada);
  const adaSession = (await tokenStatus(tabA)).sessionId;

  // Bob signs in in another tab: the browser's one refresh cookie is now his.
  const tabB = await context.newPage();
  await tabB.goto('/signin?next=%2Fsessions');
  await signIn(tabB, bob);
  await expectSignedIn(tabB, bob);
  await expectSignedIn(tabA, ada);

  const endedOnServer = context.waitForEvent('requestfinished', (request) => request.url().endsWith('/api/auth/logout'));
  await refreshOnNextCheck(tabA);
  await expect(tabA).toHaveURL(/\/signin\?next=%2Fjobs/);
  await expect(tabA.getByRole('alert')).toContainText('Session contamination: user ID mismatch');
  // Bob's tab heard the ending and carries on, through a reload too (once Ada's tab has ended
  // her session on the server, which keeps his cookie).
  await expect(tabB.locator('.notice.ended')).toHaveCount(0);
  const logout = await endedOnServer;
  expect((await logout.response())?.status()).toBe(200);
  expect((await logout.allHeaders())['authorization']).toMatch(/^Bearer /);
  await expect(tabB).toHaveURL(/\/sessions$/);
  await expectSignedIn(tabB, bob);
  await tabB.reload();
  await expectSignedIn(tabB, bob);
  await expect(tabB.getByText('This device')).toBeVisible();
  const stored = await tabA.evaluate(() => JSON.parse(localStorage.getItem('logout_history') ?? '[]')[0]);
  expect(stored).toMatchObject({ code: 'SESSION_USER_MISMATCH', session_id: adaSession });

  // Ada's tab ended its own session on the server, recorded with its reason: nothing of hers is
  // left live in this browser.
  const adas = await sessionsOf(tabB, ada);
  expect(adas.active.map((s) => s.id)).toEqual([adas.own]);
  expect(adas.ended.find((s) => s.id === adaSession)?.end_reason).toBe('SESSION_USER_MISMATCH');
});

test('a tab whose refresh hands it another session of its own user adopts it', async ({ context }) => {
  const ada = freshUser();
  const tab = await context.newPage();
  await tab.goto('/signin');
  await signIn(tab, ada);
  await expectSignedIn(tab, ada);
  const first = (await tokenStatus(tab)).sessionId;

  // Signed in again in this browser, outside this tab (no broadcast reaches it): a new cookie.
  const origin = new URL(tab.url()).origin;
  const again = await context.request.post(`${origin}/api/auth/login`, {
    headers: { origin }, data: { email: ada, password: DEMO_PASSWORD },
  });
  expect(again.ok()).toBe(true);
  const second = (await again.json()).session_id;

  await refreshOnNextCheck(tab);
  await expect.poll(async () => (await tokenStatus(tab)).sessionId).toBe(second);
  await expectSignedIn(tab, ada);
  await tab.goto('/sessions');
  await expectSignedIn(tab, ada);
  // The earlier session stays live, listed with its "End session" button.
  await expect(tab.getByRole('button', { name: 'End session' })).toHaveCount(1);
  const sessions = await sessionsOf(tab, ada);
  expect(sessions.active.map((s) => s.id)).toEqual(expect.arrayContaining([first, second]));
});

test('a sign-out that could not reach the server never ends the next sign-in\'s session', async ({ context }) => {
  const ada = freshUser();
  const page = await context.newPage();
  await page.goto('/signin');
  await signIn(page, ada);
  await expectSignedIn(page, ada);
  const first = (await tokenStatus(page)).sessionId;

  await page.route('**/api/auth/logout', (route) =>
    route.fulfill(json(503, { error: 'SERVICE_UNAVAILABLE', message: 'database down', logout_reason: null }, { 'retry-after': '1' })));
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByText(/Signing out… lanyard can't be reached/)).toBeVisible();
  await page.close();

  // Later, in a new tab: a sign-in, then a page load.
  const later = await context.newPage();
  await later.goto('/signin');
  await signIn(later, ada);
  await expectSignedIn(later, ada);
  const second = (await tokenStatus(later)).sessionId;
  expect(second).not.toBe(first);
  await later.reload();
  await expectSignedIn(later, ada);
  expect(await later.evaluate(() => localStorage.getItem('lanyard_signing_out'))).toBeNull();
  expect((await tokenStatus(later)).sessionId).toBe(second);
  await expect(later.getByText(/Signing out…/)).toHaveCount(0);
  expect(await later.evaluate(() => localStorage.getItem('logout_reason'))).toBeNull();

  // The earlier session still lives, where the user can end it.
  await later.goto('/sessions');
  await expect(later.getByRole('button', { name: 'End session' })).toHaveCount(1);
});

test('a pending sign-out stops once another sign-in took its place in the browser', async ({ context }) => {
  const ada = freshUser();
  const page = await context.newPage();
  await page.goto('/signin');
  await signIn(page, ada);
  await expectSignedIn(page, ada);

  // The sign-out's first answer is held, then comes back 503; anything sent later goes through.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  let logouts = 0;
  await page.route('**/api/auth/logout', async (route) => {
    logouts += 1;
    if (logouts > 1) return route.continue();
    await held;
    return route.fulfill(json(503, { error: 'SERVICE_UNAVAILABLE', message: 'database down', logout_reason: null }, { 'retry-after': '1' }));
  });
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect.poll(() => logouts).toBe(1);

  // Meanwhile the user signs in again in another tab, and this tab takes the new session's token.
  const other = await context.newPage();
  await other.goto('/signin');
  await signIn(other, ada);
  await expectSignedIn(other, ada);
  const second = (await tokenStatus(other)).sessionId;
  await expect.poll(async () => (await tokenStatus(page)).sessionId).toBe(second);

  release();
  await expect(page.getByText(/Signing out… lanyard can't be reached/)).toBeVisible();
  await expect(page.getByText(/Signing out…/)).toHaveCount(0);
  expect(logouts, 'the sign-out is not sent for the new session').toBe(1);
  await other.reload();
  await expectSignedIn(other, ada);
  expect((await tokenStatus(other)).sessionId).toBe(second);
});
