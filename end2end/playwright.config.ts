import { defineConfig } from '@playwright/test';

// The tests drive the server built by `cargo leptos build` (scripts/test builds it first), on a
// fresh SQLite file and a port of its own, in Debian's Chromium: no browser is ever downloaded.
const port = Number(process.env.LANYARD_E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
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
  webServer: {
    command: 'rm -rf target/e2e && ./target/debug/server',
    cwd: '..',
    url: `${baseURL}/signin`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: 'sqlite://target/e2e/lanyard.db',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_OUTPUT_NAME: 'lanyard',
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LANYARD_DEMO: '1',
      RUST_LOG: 'info,sqlx=warn',
    },
  },
});
