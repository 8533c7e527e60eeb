/**
 * Named HTML entities in text from HTML sources (Shoutcast v1's `7.html`). The relay decodes character
 * references once, for every source, in normalise.ts (numeric ones and the five XML entities). An HTML
 * page may also use HTML's own names (`&nbsp;`, `&eacute;`, `&ndash;`); rewriting those as numeric
 * references here, instead of decoding them, keeps that one decode the only one: `&amp;nbsp;` (a title
 * that really says `&nbsp;`) is left alone here and becomes `&nbsp;` there, never a space.
 */

// U+00A0 to U+00FF, in order: the names HTML gives the Latin-1 range.
const LATIN1_NAMES =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'.split(
    ' ',
  );

/** Every name this rewrites, with its code point: Latin-1, and the punctuation titles use. */
export const HTML_ENTITIES: ReadonlyMap<string, number> = new Map([
  ...LATIN1_NAMES.map((name, i) => [name, 0xa0 + i] as const),
  ['ndash', 0x2013],
  ['mdash', 0x2014],
  ['lsquo', 0x2018],
  ['rsquo', 0x2019],
  ['sbquo', 0x201a],
  ['ldquo', 0x201c],
  ['rdquo', 0x201d],
  ['bdquo', 0x201e],
  ['dagger', 0x2020],
  ['bull', 0x2022],
  ['hellip', 0x2026],
  ['permil', 0x2030],
  ['lsaquo', 0x2039],
  ['rsaquo', 0x203a],
  ['euro', 0x20ac],
  ['trade', 0x2122],
]);

/** `&eacute;` → `&#233;`; the five XML entities, numeric references and unknown names stay as they are. */
export function htmlEntitiesToNumeric(text: string): string {
  return text.replace(/&([A-Za-z][A-Za-z0-9]{1,7});/g, (whole, name: string) => {
    const code = HTML_ENTITIES.get(name);
    return code === undefined ? whole : `&#${code};`;
  });
}
