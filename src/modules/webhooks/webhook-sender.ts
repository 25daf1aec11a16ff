import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { isNonPublicAddress, webhookUrlProblem } from './webhook-url-policy';

/** A receiver gets this long to answer (connect, send, status line). */
export const DELIVERY_TIMEOUT_MS = 10_000;

export type SendOutcome = { statusCode: number } | { error: string };

/**
 * A DNS lookup that refuses non-public addresses: checked on the address the socket will actually connect to, so
 * a host name that resolves (or re-resolves, DNS rebinding) into the operator's network is not reached.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    const list = addresses as unknown as LookupAddress[];
    const refused = list.find((entry) => isNonPublicAddress(entry.address));
    if (refused || list.length === 0) return callback(Object.assign(new Error(`${hostname} resolves to a non-public address`), { code: 'EADDRNOTPUBLIC' }), '', 4);
    if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
    return callback(null, list[0].address, list[0].family);
  });
};

/**
 * POSTs one signed delivery. Redirects are not followed (a 3xx is an answer like any other non-2xx); the body of
 * the answer is read and dropped. Never throws: a connection error or timeout is returned as `error`.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, allowPrivateNetworks: boolean): Promise<SendOutcome> {
  const problem = webhookUrlProblem(url, allowPrivateNetworks);
  if (problem) return Promise.resolve({ error: `url ${problem}` });
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivateNetworks && isIP(host) && isNonPublicAddress(host)) return Promise.resolve({ error: 'url points at a non-public address' });
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), 'user-agent': 'Perkgraph-Webhooks/1', ...headers },
        lookup: allowPrivateNetworks ? undefined : publicOnlyLookup,
      },
      (response) => {
        response.resume();
        response.on('end', () => settle({ statusCode: response.statusCode ?? 0 }));
        response.on('error', () => settle({ statusCode: response.statusCode ?? 0 }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`));
    }, DELIVERY_TIMEOUT_MS);
    request.on('error', (error) => settle({ error: error.message.slice(0, 500) }));
    request.end(body);
  });
}
