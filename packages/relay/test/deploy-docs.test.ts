/**
 * docs/deploy.md quotes the files under deploy/ and they name relay flags: both must stay true as the
 * relay changes. (deploy/nginx.conf itself is run by e2e/nginx.spec.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../src/cli-args.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const DEPLOY_FILES = ['deploy/nginx.conf', 'deploy/Caddyfile', 'deploy/now-playing-relay.service'];
const flagNames = new Set(Object.keys(FLAGS).map((name) => `--${name}`));
const envNames = new Set(Object.values(FLAGS).map((flag) => flag.env));

describe('deploy/ and docs/deploy.md', () => {
  it.each(DEPLOY_FILES)('docs/deploy.md quotes %s whole, as it is', (path) => {
    expect(read('docs/deploy.md')).toContain(`\n${read(path).trimEnd()}\n\`\`\``);
  });

  it.each([...DEPLOY_FILES, 'docs/deploy.md'])('every relay flag and environment variable %s names exists', (path) => {
    const text = read(path);
    // Flags on command lines (`now-playing-relay …` and their continuation lines) and in `--code`.
    const commandLines = [...text.matchAll(/now-playing-relay[^\n]*|^#?\s+--[a-z-]+[^\n]*/gm)].flatMap((line) => line[0].match(/--[a-z][a-z-]+/g) ?? []);
    const flags = [...commandLines, ...[...text.matchAll(/`(--[a-z][a-z-]+)/g)].map((match) => match[1]!)];
    const envs = text.match(/\bNOW_PLAYING_[A-Z_]+\b/g) ?? [];
    expect(flags.length + envs.length).toBeGreaterThan(0);
    for (const flag of flags) if (flag !== '--help' && flag !== '--version') expect(flagNames, `${path}: ${flag}`).toContain(flag);
    for (const env of envs) expect(envNames, `${path}: ${env}`).toContain(env);
  });

  it("the unit starts the relay package's own bin", () => {
    const { bin } = JSON.parse(read('packages/relay/package.json')) as { bin: Record<string, string> };
    const execStart = /^ExecStart=\S+ (\S+)$/m.exec(read('deploy/now-playing-relay.service'))?.[1];
    expect(execStart).toBe(`/opt/now-playing/node_modules/@now-playing/relay/${bin['now-playing-relay']!.replace(/^\.\//, '')}`);
  });
});
