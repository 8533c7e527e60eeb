import { writeFile } from 'node:fs/promises';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

/** Keeps a replaced piece of code on as many lines as it had, so the source map stays line-accurate. */
const sameLines = (original: string, replacement: string) => replacement + '\n'.repeat(original.split('\n').length - 1);

/**
 * Collapses the whitespace of `/* css *\/` template literals (the element's styles) at build time, as
 * lit's own builds do. Only whitespace and comments go; what a selector or value means does not change.
 */
function minifyCss(): Plugin {
  return {
    name: 'now-playing:minify-css',
    enforce: 'pre',
    transform(code, id) {
      if (!/\/src\/[\w-]*styles\.ts$/.test(id)) return;
      const minified = code.replace(/\/\* css \*\/ `([^`]*)`/g, (match, css: string) => {
        const min = css
          .replace(/\/\*[^]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/ ?([{};,]) ?/g, '$1')
          .replace(/: /g, ':')
          .replace(/;}/g, '}')
          .trim();
        return sameLines(match, `\`${min}\``);
      });
      return { code: minified, map: null };
    },
  };
}

/**
 * partysocket/ws ships its debug logging, long console explanations and a Node/React Native event
 * cloner to every browser. The element never passes `debug` (so every `this._debug(…)` call is a
 * no-op), runs only in browsers (a custom element), and never where the global EventTarget or
 * WebSocket is missing, nor sends on a closed socket. This drops the `_debug` calls, cuts those
 * messages to their first sentence and picks the browser's event cloner, which partysocket itself
 * picks in every browser. Nothing else in partysocket is touched; if its code changes shape, the build
 * says so instead of silently shipping the old size.
 */
function slimPartysocket(): Plugin {
  return {
    name: 'now-playing:slim-partysocket',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]partysocket[\\/]dist[\\/]ws\.js$/.test(id)) return;
      let debugCalls = 0;
      let messages = 0;
      let cloners = 0;
      const slim = code
        // The choice is made at load time from `process` and `navigator.product`: in a browser it is
        // always cloneEventBrowser. Then cloneEventNode and the detection are unused and dropped.
        .replace(/^const cloneEvent = isNode \|\| isReactNative \? cloneEventNode : cloneEventBrowser;$/m, () => (cloners++, 'const cloneEvent = cloneEventBrowser;'))
        // Statements inside blocks; `;` stays, so even a brace-less `if` would keep its meaning.
        .replace(/this\._debug\((?:[^()]|\([^()]*\))*\);/g, (match) => (debugCalls++, sameLines(match, ';')))
        .replace(/console\.(error|warn)\(\s*(`(?:[^`\\]|\\.)*`|"[^"]*")\s*\)/g, (match, method: string, text: string) => {
          messages++;
          const first = text.slice(1, -1).trim().split('\n')[0]!.replace(/([.!])\s.*$/, '$1');
          return sameLines(match, `console.${method}(${JSON.stringify(first.trim())})`);
        });
      if (debugCalls < 15 || messages !== 3 || cloners !== 1)
        this.warn(
          `partysocket/ws changed shape (${debugCalls} debug calls, ${messages} messages, ${cloners} cloner choices): check slimPartysocket`,
        );
      return { code: slim, map: null };
    },
  };
}

/**
 * Writes `<bundle>.gz` (gzip -9) and `<bundle>.br` (brotli at its highest quality) beside each
 * self-contained bundle, so the relay serves them by `Accept-Encoding` without compressing per request.
 */
function precompress(): Plugin {
  return {
    name: 'now-playing:precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const path = `${options.dir}/${file.fileName}`;
        const code = Buffer.from(file.code);
        await writeFile(`${path}.gz`, gzipSync(code, { level: 9 }));
        await writeFile(
          `${path}.br`,
          brotliCompressSync(code, {
            params: {
              [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
              [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
              [zlib.BROTLI_PARAM_SIZE_HINT]: code.length,
            },
          }),
        );
      }
    },
  };
}

/**
 * The framework entries (`src/react.ts`, `vue.ts`, `svelte.ts`) add typings only; their JavaScript is
 * the package's own, re-exported. Written as files beside `index.js` rather than built as entries:
 * property mangling needs the build to be one chunk.
 */
function typingsEntries(names: string[]): Plugin {
  return {
    name: 'now-playing:typings-entries',
    generateBundle() {
      for (const name of names) this.emitFile({ type: 'asset', fileName: `${name}.js`, source: "export * from './index.js';\n" });
    },
  };
}

/**
 * Minified fully, as lit's own builds are, and with the names of members that are private by
 * convention mangled: partysocket's `_name`s (lit's prebuilt `_$xx` names are left alone, other lit
 * copies read them).
 */
const minify = { compress: true, mangle: true, codegen: true, mangleProps: { include: /^_[a-z]/i, exclude: /\$/ } };

/**
 * `vite build --mode package`: the modules apps import (`dist/index.js`, and the framework entries that
 * add typings), with the same trimming as the self-contained bundles: partysocket inlined and slimmed,
 * CSS minified, code minified. lit and the protocol stay imports, so an app shares them with its own
 * code. Runs first and empties `dist/`; `tsc` then writes the declarations, and the default mode the
 * bundles into `dist/bundle/`.
 */
const packageBuild: UserConfig = {
  plugins: [minifyCss(), slimPartysocket(), typingsEntries(['react', 'vue', 'svelte'])],
  // Not the relay-served bundles: `src` has no default here (src/socket-url.ts), and the code that
  // would compute one is dropped.
  define: { __NOW_PLAYING_STANDALONE__: 'false' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    target: 'es2022',
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'index.js',
    },
    rolldownOptions: {
      external: [/^lit(\/|$)/, /^@now-playing\/protocol$/],
      // Kept: /* @__PURE__ */ annotations (an app's bundler drops what it does not use) and licences.
      output: { minify, comments: { annotation: true, legal: true, jsdoc: false } },
    },
  },
};

// Self-contained bundles for a plain <script> tag (entry src/standalone.ts): lit, partysocket and the
// protocol inlined. No source maps: the relay does not serve them, and a bundle must not point at a
// file that answers 404.
const bundleBuild: UserConfig = {
  plugins: [minifyCss(), slimPartysocket(), precompress()],
  // Only these bundles are served by a relay, so only they default `src` to their own origin
  // (src/socket-url.ts); the package's modules, imported by an app's bundler, require `src`.
  define: { __NOW_PLAYING_STANDALONE__: 'true' },
  build: {
    outDir: 'dist/bundle',
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    target: 'es2022',
    lib: {
      entry: 'src/standalone.ts',
      name: 'NowPlaying',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'now-playing.js' : `now-playing.${format}.js`),
    },
    rolldownOptions: {
      output: {
        // Vite leaves whitespace in ES library builds; these bundles are for <script> tags, so minify fully.
        minify,
        // No /* @__PURE__ */ annotations in the output: nothing bundles these files again.
        comments: false,
      },
      onLog(level, log, handler) {
        // The IIFE has no import.meta: the bundler makes it {} and socket-url.ts falls back to
        // document.currentScript, captured while the script runs. Nothing to warn about.
        if (log.code === 'EMPTY_IMPORT_META') return;
        handler(level, log);
      },
    },
  },
};

/** The modules `<now-playing-history>` shares with `<now-playing>` (both exported by `dist/index.js`). */
const SHARED_WITH_INDEX = /[\\/]src[\\/](connection|format)\.ts$/;

/**
 * `vite build --mode history-package`: `dist/history.js`, the module of `@now-playing/element/history`,
 * one chunk like `index.js` (property mangling needs it). The connection and the formatter are
 * imported from `./index.js`, not copied, so an app with both elements carries them once.
 */
const historyPackageBuild: UserConfig = {
  ...packageBuild,
  plugins: [minifyCss()],
  build: {
    ...packageBuild.build,
    emptyOutDir: false,
    lib: { entry: 'src/history.ts', formats: ['es'], fileName: () => 'history.js' },
    rolldownOptions: {
      ...packageBuild.build!.rolldownOptions,
      external: [/^lit(\/|$)/, /^@now-playing\/protocol$/, SHARED_WITH_INDEX],
      output: {
        ...packageBuild.build!.rolldownOptions!.output,
        paths: (id) => (SHARED_WITH_INDEX.test(id) ? './index.js' : id),
      },
    },
  },
};

/**
 * `vite build --mode history`: the self-contained bundles of `<now-playing-history>`
 * (`now-playing-history.js`, `.iife.js`), built after the default mode (which empties the folder).
 * Self-contained like `now-playing.js`, so either works alone; on one page they share the socket
 * (connection.ts keeps one registry per page).
 */
const historyBundleBuild: UserConfig = {
  ...bundleBuild,
  build: {
    ...bundleBuild.build,
    emptyOutDir: false,
    lib: {
      entry: 'src/history.ts',
      name: 'NowPlayingHistory',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'now-playing-history.js' : `now-playing-history.${format}.js`),
    },
  },
};

const builds: Record<string, UserConfig> = { package: packageBuild, 'history-package': historyPackageBuild, history: historyBundleBuild };
export default defineConfig(({ mode }) => builds[mode] ?? bundleBuild);
