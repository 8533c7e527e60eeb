/**
 * Where an upstream request may go. A relay usually runs next to internal services (a cloud metadata
 * endpoint at 169.254.169.254, an admin port on 127.0.0.1); an upstream that answers with a redirect
 * must not be able to point the relay at them and have their answer served as a station. The rule:
 * a redirect to another host may reach a public address, or an address of the same kind as the
 * upstream's own (a LAN Icecast may redirect within the LAN). The check runs on the address actually
 * connected to (after DNS), so a name that resolves to a private address is caught too.
 */
import { BlockList, isIP } from 'node:net';

export type AddressKind = 'loopback' | 'link-local' | 'private' | 'public';

function blockList(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of ranges) list.addSubnet(network, prefix, type);
  return list;
}

const KINDS: [Exclude<AddressKind, 'public'>, BlockList][] = [
  ['loopback', blockList([['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6'], ['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']])],
  ['link-local', blockList([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']])],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
      ['fc00::', 7, 'ipv6'], // unique local
    ]),
  ],
];

/** The kind of an IP address (IPv4-mapped IPv6 addresses count as their IPv4 address). */
export function addressKind(address: string): AddressKind {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  for (const [kind, list] of KINDS) if (list.check(ip, type)) return kind;
  return 'public';
}

/** May a redirect to another host connect to `target`, when the upstream itself is of kind `upstream`? */
export function redirectTargetAllowed(target: AddressKind, upstream: AddressKind): boolean {
  return target === 'public' || target === upstream;
}
