import type { SourceOptions } from './source.js';
import { icecastStatus, StatusDocumentSource } from './status-document.js';

export type IcecastStatusOptions = SourceOptions;

/** Polls Icecast's `/status-json.xsl` (or the status URL given): one request per interval, never two in flight. */
export class IcecastStatusSource extends StatusDocumentSource {
  constructor(options: IcecastStatusOptions) {
    super(icecastStatus(new URL(options.upstream.url)), options);
  }
}
