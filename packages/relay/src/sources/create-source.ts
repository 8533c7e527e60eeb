/**
 * Which source reads an upstream, by its kind (config.ts `UpstreamSpec.kind`): a forced kind gets its
 * source; a plain `http(s)://` base URL is detected (Icecast status-json, then Shoutcast v2, then v1)
 * and the log says, in one info line, what was found.
 */
import type { RelayConfig, UpstreamSpec } from '../config.js';
import type { Logger } from '../logger.js';
import { IcecastStatusSource } from './icecast-status.js';
import { IcyStreamSource } from './icy-stream.js';
import type { Source, SourceOptions } from './source.js';
import { icecastStatus, shoutcast7Html, shoutcastStatistics, shoutcastStreamStats, StatusDocumentSource, type StatusDocument } from './status-document.js';

export type SourceSettings = Pick<
  RelayConfig,
  'pollInterval' | 'requestTimeout' | 'maxBackoff' | 'maxBodyBytes' | 'maxRedirects' | 'crossHostRedirects'
>;

export function createSource(upstream: UpstreamSpec, config: SourceSettings, log: Logger): Source {
  const options: SourceOptions = {
    upstream,
    pollInterval: config.pollInterval,
    requestTimeout: config.requestTimeout,
    maxBackoff: config.maxBackoff,
    maxBodyBytes: config.maxBodyBytes,
    maxRedirects: config.maxRedirects,
    crossHostRedirects: config.crossHostRedirects,
    onRepairs: (repairs) => log.debug({ upstream: upstream.url, repairs }, 'repaired upstream JSON'),
  };
  const detected = (document: StatusDocument) =>
    log.info({ upstream: upstream.url, kind: document.kind, url: document.url.href }, `upstream is ${SERVER_NAMES[document.kind]}`);
  switch (upstream.kind) {
    case 'icy':
      return new IcyStreamSource(options);
    case 'icecast':
      return new IcecastStatusSource(options);
    case 'shoutcast':
      return new StatusDocumentSource(shoutcastDocuments(new URL(upstream.url.replace(/^shoutcast\+/i, ''))), options, detected);
    case undefined: {
      // A base URL was resolved to its status URL (config.ts); the server's base is that URL's folder.
      const statusUrl = new URL(upstream.url);
      return new StatusDocumentSource([icecastStatus(statusUrl), ...shoutcastDocuments(new URL('.', statusUrl))], options, detected);
    }
  }
}

/** Shoutcast's documents in the order tried: v2's list of streams, v2's stream 1 (older 2.x), v1's 7.html. */
function shoutcastDocuments(base: URL): StatusDocument[] {
  return [shoutcastStatistics(base), shoutcastStreamStats(base), shoutcast7Html(base)];
}

const SERVER_NAMES: Record<StatusDocument['kind'], string> = {
  icecast: 'Icecast (status-json)',
  'shoutcast-v2': 'Shoutcast v2',
  'shoutcast-v1': 'Shoutcast v1',
};
