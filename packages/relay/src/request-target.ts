/**
 * The request target of an HTTP request line, parsed without ever throwing: `new URL(req.url, base)`
 * throws on targets the HTTP parser accepts (`//[`, `http://a:99999/x`), and one such request used
 * to end the process.
 */

/**
 * Longest request target (path and query, in bytes as received) the relay reads; the caller answers a
 * longer one with 414. Our longest legitimate target is `/ws?station=<id>` with an id of a few hundred
 * bytes at most.
 */
export const MAX_TARGET_LENGTH = 2048;

export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

// Absolute-form (RFC 9112 §3.2.2): a proxy-style `http://authority/path?query`. Only the path and query
// matter to us, so the authority is skipped unread (it may name any host, or a port such as 99999).
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*(.*)$/is;

// Every path and query resolves against this fixed origin, so the URL parser cannot fail on them.
const ORIGIN = 'http://relay.invalid';

/**
 * Origin-form (`/path?q`) or absolute-form (`http://host:port/path?q`); undefined for anything else
 * (empty, over `MAX_TARGET_LENGTH`, `*`, authority-form, garbage) so the caller answers 400 (or 414).
 * A path starting with `//` is refused too: URL parsers read it as `//host/…`, so two parsers could
 * disagree on what it names (`//[` is what used to crash the relay); no client of ours sends one.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > MAX_TARGET_LENGTH) return undefined;
  let target: string;
  if (raw.startsWith('/')) {
    target = raw;
  } else {
    const rest = ABSOLUTE_FORM.exec(raw)?.[1];
    if (rest === undefined) return undefined;
    target = rest.startsWith('/') ? rest : `/${rest}`; // `http://h` and `http://h?q` name the root path
  }
  if (target.startsWith('//')) return undefined;
  try {
    // Origin + a path starting with a single slash: the WHATWG parser percent-encodes what it does not
    // like instead of failing. The try is for totality, not an expected path.
    const url = new URL(ORIGIN + target);
    if (url.origin !== ORIGIN) return undefined;
    return { pathname: url.pathname, searchParams: url.searchParams };
  } catch {
    return undefined;
  }
}
