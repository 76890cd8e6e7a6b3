import { defineConfig } from '@playwright/test';

// The Chromium tabs of the soak (`scripts/soak --browser-tabs N`): the soak binary runs lanyard
// behind its fault-injecting proxy and starts this with SOAK_URL, SOAK_EMAILS, SOAK_PASSWORD,
// SOAK_SECONDS and SOAK_RESULT set. Never run on its own.
export default defineConfig({
  testDir: '.',
  timeout: 0,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
    },
  },
  projects: [{ name: 'chromium' }],
});
