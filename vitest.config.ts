import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Unit and integration tests for every package (Playwright's e2e suite lives in e2e/).
// Workspace packages resolve to their TypeScript sources, so tests never run against a stale dist/.
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@now-playing/protocol': src('protocol'),
      '@now-playing/fake-icecast': src('fake-icecast'),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'protocol', include: ['packages/protocol/test/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: { name: 'fake-icecast', include: ['packages/fake-icecast/test/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'relay',
          include: ['packages/relay/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'packages/relay/test/abuse/**'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        // Attacks on the built relay process (`pnpm test:abuse`): one file at a time, so no attack
        // measures another's load. Needs `pnpm build` first.
        extends: true,
        test: {
          name: 'abuse',
          include: ['packages/relay/test/abuse/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: { name: 'element', include: ['packages/element/test/**/*.test.ts'], environment: 'happy-dom' },
      },
    ],
  },
});
