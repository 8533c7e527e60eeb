/**
 * The address a WebSocket client connects from, for the per-address connection limit. Behind a
 * reverse proxy every connection comes from the proxy, so `X-Forwarded-For` is read, but only when
 * the connection comes from a proxy the operator trusts (`--trust-proxy`); anyone else could write
 * any address into that header.
 */
import type { IncomingMessage } from 'node:http';
import { isIP, type BlockList } from 'node:net';

/** `::ffff:127.0.0.1` → `127.0.0.1`, so one client is one key whichever socket family it used. */
export function plainAddress(address: string): string {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

function trusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy, the right-most
 * address in `X-Forwarded-For` that is not itself a trusted proxy (the left part of the header is
 * whatever the client chose to send). A malformed entry stops the walk at the last good address.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: BlockList | undefined): string {
  let address = plainAddress(req.socket.remoteAddress ?? '');
  if (!trustedProxies || !address || !trusted(trustedProxies, address)) return address || 'unknown';
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plainAddress(hops[i]!.trim());
    if (!isIP(hop)) break;
    address = hop;
    if (!trusted(trustedProxies, hop)) break;
  }
  return address;
}
