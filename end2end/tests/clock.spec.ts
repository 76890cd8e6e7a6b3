import { expect, test } from '@playwright/test';
import { SHORT, expectSignedIn, signIn, tokenStatus, useFor, watchConsole } from './fixtures';

// S9: a browser whose clock is two hours off, either way, against the `short` server (5-second
// access tokens). Countdowns follow the server's clock (`server_time`), the token is renewed on the
// server's schedule, with no storm of refreshes and no ending.

/** Shifts what the page's `Date` says by `offsetMs`, from before any script of the page runs. */
function skewedClock(offsetMs: number): string {
  return `(() => {
    const RealDate = Date;
    const offset = ${offsetMs};
    class SkewedDate extends RealDate {
      constructor(...args) { if (args.length === 0) { super(RealDate.now() + offset); } else { super(...args); } }
      static now() { return RealDate.now() + offset; }
    }
    globalThis.Date = SkewedDate;
  })();`;
}

const HOURS_2 = 2 * 3_600_000;
const SESSION_SECS = 7 * 86_400;

for (const [label, offset] of [['two hours fast', HOURS_2], ['two hours slow', -HOURS_2]] as const) {
  test(`a browser clock ${label} counts down by the server's clock and nothing ends`, async ({ browser }) => {
    const context = await browser.newContext();
    await context.addInitScript(skewedClock(offset));
    const page = await context.newPage();
    const problems = watchConsole(page);
    let refreshes = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/api/auth/refresh')) refreshes += 1;
    });
    expect(await page.evaluate(() => Date.now())).toBeGreaterThan(0);
    await page.goto(`${SHORT}/signin`);
    const skew = (await page.evaluate(() => Date.now())) - Date.now();
    expect(Math.abs(skew - offset)).toBeLessThan(60_000);
    await signIn(page);
    await expectSignedIn(page);

    const first = await tokenStatus(page);
    expect(first.signedIn).toBe(true);
    // A 5-second token is in its last 5 minutes ("warning"), or between its end and its renewal.
    expect(['warning', 'expired']).toContain(first.level);
    expect(first.accessExpiresInSecs!).toBeGreaterThanOrEqual(0);
    expect(first.accessExpiresInSecs!).toBeLessThanOrEqual(5);
    expect(first.sessionExpiresInSecs!).toBeGreaterThan(SESSION_SECS - 60);
    expect(first.sessionExpiresInSecs!).toBeLessThanOrEqual(SESSION_SECS);
    refreshes = 0;

    await useFor(page, 15);

    const later = await tokenStatus(page);
    expect(later.signedIn).toBe(true);
    expect(later.lastRefreshAt!).toBeGreaterThan(first.lastRefreshAt!);
    expect(later.sessionExpiresInSecs!).toBeGreaterThan(SESSION_SECS - 120);
    // About one renewal per 4 s of a 5-second token: kept on schedule, never a storm.
    expect(refreshes).toBeGreaterThanOrEqual(2);
    expect(refreshes).toBeLessThanOrEqual(10);
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(problems).toEqual([]);
    await context.close();
  });
}
