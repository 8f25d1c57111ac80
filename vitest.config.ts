import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the `weft-source`
// export condition), so a unit test never needs a build; tests that spawn the `weft`
// binary use dist/, which `npm test` builds first.
// Not 'import'/'module': vitest passes these to node as --conditions, and require() would then load
// ESM builds (express 5's router gets is-promise's namespace object instead of the function).
const conditions = ['weft-source', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['weft-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
