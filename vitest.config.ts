import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-db.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Test files share one database server but each uses its own database.
    pool: 'forks',
  },
});
