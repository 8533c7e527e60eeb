/**
 * `pnpm bench:size`: the gzip size of the element's self-contained bundles against the budget
 * (10 KB gzip for the ES bundle), beside a baseline built in the same run with the same settings
 * (a minimal Lit element), so the figure reads as "Lit + what we add". Run `pnpm build` first.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync } from 'node:zlib';
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

function measure(path: string) {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length };
}

const rows = [
  ['baseline: minimal Lit element (ES)', measure(`${outDir}/baseline.js`)],
  ['now-playing.js (ES module, self-contained)', measure(`${bundleDir}/now-playing.js`)],
  ['now-playing.iife.js (classic script)', measure(`${bundleDir}/now-playing.iife.js`)],
] as const;

const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
console.log(`\n${'bundle'.padEnd(46)}${'raw'.padStart(10)}${'gzip -9'.padStart(11)}${'brotli'.padStart(11)}`);
for (const [name, size] of rows) {
  console.log(`${name.padEnd(46)}${kb(size.raw).padStart(10)}${kb(size.gzip).padStart(11)}${kb(size.brotli).padStart(11)}`);
}
const es = rows[1][1];
const baseline = rows[0][1];
console.log(`\nnow-playing adds ${kb(es.gzip - baseline.gzip)} gzip to a bare Lit element (${es.gzip} vs ${baseline.gzip} bytes).`);
console.log(`budget: ${kb(BUDGET_GZIP)} gzip for now-playing.js: ${es.gzip <= BUDGET_GZIP ? 'within' : 'OVER'} (${es.gzip} bytes).`);
process.exitCode = es.gzip <= BUDGET_GZIP ? 0 : 1;
