import { defineConfig } from 'vite';

// Self-contained bundles for a plain <script> tag: lit, partysocket and the protocol inlined.
// `tsc -b` has already written the ES module package (lit external) to dist/, hence emptyOutDir: false.
export default defineConfig({
  build: {
    outDir: 'dist/bundle',
    emptyOutDir: false,
    minify: true,
    sourcemap: true,
    target: 'es2022',
    lib: {
      entry: 'src/index.ts',
      name: 'NowPlaying',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'now-playing.js' : `now-playing.${format}.js`),
    },
    rolldownOptions: {
      // Vite leaves whitespace in ES library builds; these bundles are for <script> tags, so minify fully.
      output: { minify: true },
      onLog(level, log, handler) {
        // The IIFE has no import.meta: the bundler makes it {} and now-playing.ts falls back to
        // document.currentScript, captured while the script runs. Nothing to warn about.
        if (log.code === 'EMPTY_IMPORT_META') return;
        handler(level, log);
      },
    },
  },
});
