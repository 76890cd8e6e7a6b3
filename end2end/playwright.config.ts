import { defineConfig } from '@playwright/test';

// The tests drive the server built by `scripts/site` (scripts/test builds it first), in Debian's
// Chromium: no browser is ever downloaded. Four instances run, each on a fresh SQLite file:
// `standard` with the default lifetimes (and sign-up open, as `scripts/run` has it), `short` with 5-second access tokens and a 5-second reauth
// window so that expiry, refresh and step-up happen while a test watches, `idle` with a 65-second
// idle timeout, and `limited` with one session per user. `host` is examples/host, another app built
// on lanyard's crates, serving its own site (`scripts/example-host --build` builds it).
export const servers = {
  standard: { port: 3100, db: 'target/e2e-standard/lanyard.db', env: { LANYARD_SIGNUP: 'open' } },
  short: { port: 3101, db: 'target/e2e-short/lanyard.db', env: { LANYARD_ACCESS_TTL: '5', LANYARD_REAUTH_WINDOW: '5' } },
  idle: { port: 3102, db: 'target/e2e-idle/lanyard.db', env: { LANYARD_IDLE_TIMEOUT: '65' } },
  limited: { port: 3103, db: 'target/e2e-limited/lanyard.db', env: { LANYARD_MAX_SESSIONS: '1' } },
  host: { port: 3104, db: 'target/e2e-host/lanyard.db', env: { LEPTOS_SITE_ROOT: 'target/host-site' }, binary: 'host' },
} as const;

const webServer = Object.values(servers).map(({ port, db, env, ...server }) => ({
  command: `rm -rf ${db.replace(/\/[^/]*$/, '')} && ./target/debug/${'binary' in server ? server.binary : 'server'}`,
  cwd: '..',
  url: `http://127.0.0.1:${port}/signin`,
  reuseExistingServer: false,
  timeout: 120_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
  env: {
    DATABASE_URL: `sqlite://${db}`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: 'target/site',
    LEPTOS_SITE_PKG_DIR: 'pkg',
    LANYARD_DEMO: '1',
    // Each server's mail, read by the tests as a mailbox would be; removed with its database.
    LANYARD_MAIL_OUTBOX: `${db.replace(/\/[^/]*$/, '')}/outbox`,
    RUST_LOG: 'warn',
    ...env,
  },
}));

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${servers.standard.port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
  webServer,
});
