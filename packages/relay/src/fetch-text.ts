import { SourceError } from './sources/source.js';

export interface FetchTextOptions {
  /** Give up after this many milliseconds (connect, headers and body together). */
  timeout: number;
  /** Refuse bodies larger than this many bytes (a misconfigured upstream must not eat our memory). */
  maxBytes: number;
  /** Aborts the request when the caller stops. */
  signal?: AbortSignal;
}

/**
 * GET a URL and return its body as UTF-8 text, or throw a SourceError whose reason says what went
 * wrong in a few words (`timeout`, `HTTP 500`, `response larger than 1048576 bytes`, `connection refused`).
 */
export async function fetchText(url: string, options: FetchTextOptions): Promise<string> {
  const timeout = AbortSignal.timeout(options.timeout);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await fetch(url, { signal, redirect: 'follow', headers: { accept: 'application/json' } });
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceError(`HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw new SourceError(`response larger than ${options.maxBytes} bytes`);
    }
    return await readLimited(response, options.maxBytes);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    if (timeout.aborted) throw new SourceError('timeout', { cause: error });
    if (options.signal?.aborted) throw new SourceError('stopped', { cause: error });
    throw new SourceError(describeNetworkError(error), { cause: error });
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new SourceError(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

function describeNetworkError(error: unknown): string {
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    default:
      return code ? `network error (${code})` : 'network error';
  }
}
