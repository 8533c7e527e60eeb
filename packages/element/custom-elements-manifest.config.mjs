// @custom-elements-manifest/analyzer (`cem analyze`, run by `pnpm build`): writes
// dist/custom-elements.json, the manifest IDEs, Storybook and wrapper generators read. package.json
// names it in "customElements" (kept by hand: packagejson: false).

/** The module apps import: everything is bundled into it (vite.config.ts), so tools link there. */
const ENTRY = 'dist/index.js';
/** Elements with an entry of their own (`@now-playing/element/history`), by tag name. */
const OWN_ENTRY = { 'now-playing-history': 'dist/history.js' };

/**
 * Makes the manifest describe what ships: one module (`dist/index.js`) with the elements; its own
 * type names (`ScrollMode`, `ConnectionStatus`, …) and constants (`DEFAULT_FORMAT`) spelled out, since
 * tools show them to people who never see the source; no private members; and only the events an
 * element documents with `@fires` (the analyzer also reports `this.#fire(type, …)` as an event `type`).
 */
function describeWhatShips() {
  const aliases = new Map();
  const constants = new Map();
  const spell = (text) => text?.replace(/\b[A-Z][A-Za-z_]*\b/g, (name) => aliases.get(name) ?? constants.get(name) ?? name);
  return {
    name: 'now-playing:describe-what-ships',
    analyzePhase({ ts, node }) {
      if (ts.isTypeAliasDeclaration(node) && ts.isUnionTypeNode(node.type)) aliases.set(node.name.text, node.type.types.map((t) => t.getText()).join(' | '));
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isLiteralExpression(node.initializer))
        constants.set(node.name.text, node.initializer.getText());
    },
    packageLinkPhase({ customElementsManifest: manifest }) {
      const elements = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.customElement);
      if (!elements.length) throw new Error('custom-elements.json: no custom element found');
      for (const element of elements) {
        element.members = element.members?.filter((m) => m.privacy !== 'private' && !m.name.startsWith('#'));
        element.events = element.events?.filter((e) => e.description);
        for (const item of [...(element.members ?? []), ...(element.attributes ?? []), ...(element.events ?? [])]) {
          if (item.type) item.type.text = spell(item.type.text);
          if (item.default) item.default = spell(item.default);
        }
      }
      const modules = new Map();
      for (const element of elements) {
        const path = OWN_ENTRY[element.tagName] ?? ENTRY;
        const module = modules.get(path) ?? { kind: 'javascript-module', path, declarations: [], exports: [] };
        const declaration = { name: element.name, module: path };
        module.declarations.push(element);
        module.exports.push(
          { kind: 'js', name: element.name, declaration },
          { kind: 'custom-element-definition', name: element.tagName, declaration },
        );
        modules.set(path, module);
      }
      manifest.modules = [...modules.values()];
    },
  };
}

export default {
  // Every module: the elements, and the types and defaults they use. Only the elements are kept.
  globs: ['src/*.ts'],
  exclude: ['src/react.ts', 'src/vue.ts', 'src/svelte.ts', 'src/iife.ts', 'src/history-iife.ts', 'src/standalone.ts'],
  outdir: 'dist',
  litelement: true,
  packagejson: false,
  plugins: [describeWhatShips()],
};
