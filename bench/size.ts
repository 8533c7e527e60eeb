/**
 * `pnpm bench:size`: the gzip size of the element's self-contained bundles against the budget
 * (10 KB gzip for the ES bundle of `<now-playing>`), beside a baseline built in the same run with the
 * same settings (a minimal Lit element), so the figure reads as "Lit + what we add". The bundles of
 * `<now-playing-history>` are reported beside them (each works alone, so each carries Lit and the
 * connection). Build the element first (`pnpm build`, or `pnpm --filter @now-playing/element build`).
 *
 * Prints a markdown table to paste into README.md's Size section, with the date and how it was measured.
 * Exits 1 when the ES bundle is over the budget.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { build } from 'vite';

const BUDGET_GZIP = 10 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const bundleDir = `${root}packages/element/dist/bundle`;

const outDir = mkdtempSync(`${tmpdir()}/np-size-`);
await build({
  configFile: false,
  logLevel: 'silent',
  root,
  build: {
    outDir,
    minify: true,
    target: 'es2022',
    lib: { entry: `${root}bench/baseline-element.ts`, formats: ['es'], fileName: () => 'baseline.js' },
    rolldownOptions: { output: { minify: true } },
  },
});

interface Size {
  raw: number;
  gzip: number;
  brotli: number;
}

function measure(path: string): Size {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length };
}

const es = measure(`${bundleDir}/now-playing.js`);
const iife = measure(`${bundleDir}/now-playing.iife.js`);
const historyEs = measure(`${bundleDir}/now-playing-history.js`);
const historyIife = measure(`${bundleDir}/now-playing-history.iife.js`);
const baseline = measure(`${outDir}/baseline.js`);
const builtAt = statSync(`${bundleDir}/now-playing.js`).mtime;

const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const bytes = (n: number) => `${n.toLocaleString('en')} B`;
const row = (name: string, size: Size, bold = false) => {
  const gzip = `${kb(size.gzip)} (${bytes(size.gzip)})`;
  return `| ${name} | ${kb(size.raw)} | ${bold ? `**${gzip}**` : gzip} | ${kb(size.brotli)} |`;
};

const day = (date: Date) => date.toISOString().slice(0, 10);
const over = es.gzip - BUDGET_GZIP;
console.log(
  [
    '',
    '| bundle | raw | gzip -9 | brotli |',
    '|---|---|---|---|',
    row('`now-playing.js` (ES module, self-contained)', es, true),
    row('`now-playing.iife.js` (classic script)', iife),
    row('`now-playing-history.js` (ES module, self-contained)', historyEs),
    row('`now-playing-history.iife.js` (classic script)', historyIife),
    row('baseline in the same run: a minimal Lit element', baseline),
    '',
    `Measured ${day(new Date())} by \`pnpm bench:size\` (bundles built ${day(builtAt)}; Node ${process.versions.node}: ` +
      `node:zlib gzip level 9 and brotli at its default quality; KB = 1,024 bytes).`,
    `now-playing adds ${kb(es.gzip - baseline.gzip)} gzip to a bare Lit element (${bytes(es.gzip)} vs ${bytes(baseline.gzip)}).`,
    `Budget ${kb(BUDGET_GZIP)} gzip for now-playing.js: ${over <= 0 ? `within, ${bytes(-over)} to spare` : `OVER by ${bytes(over)}`}.`,
    '',
  ].join('\n'),
);
process.exitCode = over <= 0 ? 0 : 1;
