/**
 * Icecast's `GET /admin/metadata?mount=/live&mode=updinfo&song=…`, which station tools use to push the
 * current title. Any credentials (or none) are accepted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendIcecast, sendIcecastError } from './http.js';

export interface AdminTarget {
  hasMount(mount: string): boolean;
  setTitle(mount: string, title: string | null): void;
}

export function handleAdminMetadata(req: IncomingMessage, res: ServerResponse, url: URL, target: AdminTarget): void {
  if (req.method !== 'GET') return sendIcecastError(res, 400, 'Bad Request');
  const params = url.searchParams;
  const mount = params.get('mount');
  const mode = params.get('mode');
  if (mount === null || mode === null) return sendIcecastError(res, 400, 'Missing parameter');
  if (!target.hasMount(mount)) return sendIcecastError(res, 400, 'Source does not exist');
  if (mode !== 'updinfo') return sendIceResponse(res, 'No such action', 0);
  // `song` is what MP3 sources send; Icecast also takes `artist` and `title` and joins them.
  const artist = params.get('artist');
  const title = params.get('title');
  const song = params.get('song') ?? (artist !== null && title !== null ? `${artist} - ${title}` : title ?? artist);
  if (song === null) return sendIcecastError(res, 400, 'Missing parameter');
  target.setTitle(mount, song);
  sendIceResponse(res, 'Metadata update successful', 1);
}

function sendIceResponse(res: ServerResponse, message: string, result: 0 | 1): void {
  const body = `<?xml version="1.0"?>\n<iceresponse><message>${message}</message><return>${result}</return></iceresponse>\n`;
  sendIcecast(res, 200, 'text/xml', body);
}
