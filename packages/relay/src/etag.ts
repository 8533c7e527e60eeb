import { createHash } from 'node:crypto';

/** A strong ETag: a digest of the exact bytes, so replicas serving the same bytes agree. */
export function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}
