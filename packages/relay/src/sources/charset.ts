/**
 * Bytes → text for upstream documents. Radio metadata arrives in whatever encoding the encoder used:
 * Icecast passes titles through unchanged, and a mount without a charset setting is Latin-1. A
 * document that is valid UTF-8 is read as UTF-8; anything else is read as Latin-1 (as browsers read
 * it, i.e. windows-1252, which gives `’` and `€` their intended meaning) instead of being sprinkled
 * with U+FFFD. An upstream can force either with `?charset=` on its URL.
 */
export const CHARSETS = ['auto', 'utf-8', 'latin1'] as const;
export type Charset = (typeof CHARSETS)[number];

const utf8 = new TextDecoder('utf-8', { fatal: true });

// windows-1252's printable characters at 0x80–0x9F (where ISO-8859-1 has C1 controls). Written out
// because Node's TextDecoder('windows-1252') decodes those bytes as ISO-8859-1 does.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

const latin1 = {
  decode: (bytes: Uint8Array): string =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString('latin1')
      .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!),
};

/** Accepted spellings of `?charset=` → the charset they mean. */
export function parseCharset(text: string): Charset | undefined {
  const name = text.trim().toLowerCase();
  if (name === 'auto') return 'auto';
  if (name === 'utf-8' || name === 'utf8') return 'utf-8';
  if (['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'windows-1252', 'cp1252'].includes(name)) return 'latin1';
  return undefined;
}

export function decodeText(bytes: Uint8Array, charset: Charset): string {
  if (charset === 'latin1') return latin1.decode(bytes);
  if (charset === 'utf-8') return new TextDecoder('utf-8').decode(bytes);
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}
