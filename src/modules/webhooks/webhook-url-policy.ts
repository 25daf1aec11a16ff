import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless the deployment allows private networks: loopback, private, link-local
 * (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified, multicast, reserved, and their IPv6 forms.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** True for an IP address (v4 or v6, IPv4-mapped v6 included) that is not on the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return NON_PUBLIC.check(mapped[1], 'ipv4');
  const family = isIP(bare);
  if (family === 4) return NON_PUBLIC.check(bare, 'ipv4');
  if (family === 6) return NON_PUBLIC.check(bare, 'ipv6');
  return true;
}

/**
 * Why a webhook URL is refused, or null when it is acceptable: https only (http too when private networks are
 * allowed), no credentials in it, and no literal non-public address or localhost name unless allowed. Host names are
 * checked again on every delivery, against the addresses they resolve to (see webhook-sender.ts).
 */
export function webhookUrlProblem(text: string, allowPrivateNetworks: boolean): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (text.length > 2000) return 'is too long (2000 characters at most)';
  if (url.protocol !== 'https:' && !(allowPrivateNetworks && url.protocol === 'http:')) {
    return allowPrivateNetworks ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (allowPrivateNetworks) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return 'must not point at a local or internal host';
  if (isIP(host) && isNonPublicAddress(host)) return 'must not point at a loopback, private or reserved address';
  return null;
}
