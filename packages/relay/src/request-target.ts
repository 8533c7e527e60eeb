/**
 * The request target of an HTTP request line, parsed without ever throwing: `new URL(req.url, base)`
 * throws on targets the HTTP parser accepts (`//[`, `http://a:99999/x`), and one such request used
 * to end the process.
 */

/** Longest request target the relay reads; a longer one is answered with 414. */
export const MAX_TARGET_LENGTH = 2048;

export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

/** Origin-form (`/path?q`) or absolute-form (`http://host:port/path?q`); undefined for anything else. */
export function parseRequestTarget(raw: string | undefined): RequestTarget | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > MAX_TARGET_LENGTH) return undefined;
  let target = raw;
  if (!raw.startsWith('/')) {
    // Absolute-form: only the path and query matter to us; the authority may be anything.
    const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(raw);
    if (!match) return undefined;
    target = match[1] === '' ? '/' : match[1]!;
    if (!target.startsWith('/') && !target.startsWith('?')) return undefined;
    if (target.startsWith('?')) target = `/${target}`;
  }
  try {
    // A fixed base and a target that starts with one slash cannot fail; `//x` would name a host.
    const url = new URL(target.replace(/^\/+/, '/'), 'http://relay.invalid');
    return { pathname: url.pathname, searchParams: url.searchParams };
  } catch {
    return undefined;
  }
}
