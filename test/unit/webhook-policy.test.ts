import { describe, expect, it } from '@jest/globals';
import { endpointFailingTooLong, nextAttemptAt } from '../../src/modules/webhooks/retry-schedule';
import { isNonPublicAddress, webhookUrlProblem } from '../../src/modules/webhooks/webhook-url-policy';
import { sendWebhook } from '../../src/modules/webhooks/webhook-sender';

const CREATED = new Date('2026-03-01T00:00:00Z');
const at = (ms: number) => new Date(CREATED.getTime() + ms);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('webhook retry schedule', () => {
  it('waits 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then 3 h after each failed attempt', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempts) => nextAttemptAt(attempts, CREATED, CREATED)!.getTime() - CREATED.getTime());
    expect(delays).toEqual([5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 3 * HOUR]);
  });

  it('gives up once the next attempt would come more than 24 h after the event', () => {
    expect(nextAttemptAt(9, CREATED, at(21 * HOUR))).toEqual(at(24 * HOUR));
    expect(nextAttemptAt(10, CREATED, at(21 * HOUR + 1))).toBeNull();
    // Following the schedule from the event: 6 growing retries, then 3-hourly ones, then FAILED.
    let now = CREATED;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const next = nextAttemptAt(attempts, CREATED, now);
      if (!next) break;
      now = next;
    }
    expect(attempts).toBe(14);
  });

  it('disables an endpoint after 5 days of failures without a success', () => {
    expect(endpointFailingTooLong(null, at(10 * 24 * HOUR))).toBe(false);
    expect(endpointFailingTooLong(CREATED, at(5 * 24 * HOUR - 1))).toBe(false);
    expect(endpointFailingTooLong(CREATED, at(5 * 24 * HOUR))).toBe(true);
  });
});

describe('webhook URL policy', () => {
  it('knows the non-public address ranges, IPv4-mapped IPv6 included', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '[::1]']) {
      expect({ address, nonPublic: isNonPublicAddress(address) }).toEqual({ address, nonPublic: true });
    }
    for (const address of ['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34']) {
      expect({ address, nonPublic: isNonPublicAddress(address) }).toEqual({ address, nonPublic: false });
    }
  });

  it('accepts https to public hosts; http and private addresses only when allowed', () => {
    expect(webhookUrlProblem('https://hooks.example.com/in', false)).toBeNull();
    expect(webhookUrlProblem('http://hooks.example.com/in', false)).toBe('must be an https URL');
    expect(webhookUrlProblem('https://10.0.0.8/in', false)).toBe('must not point at a loopback, private or reserved address');
    expect(webhookUrlProblem('https://metadata.google.internal/', false)).toBe('must not point at a local or internal host');
    expect(webhookUrlProblem('not a url', false)).toBe('is not a URL');
    expect(webhookUrlProblem('http://127.0.0.1:9000/in', true)).toBeNull();
    expect(webhookUrlProblem('ftp://127.0.0.1/in', true)).toBe('must be an http or https URL');
  });

  it('the sender refuses a non-public address before connecting when private networks are not allowed', async () => {
    expect(await sendWebhook('https://127.0.0.1:1/in', {}, '{}', false)).toEqual({ error: 'url must not point at a loopback, private or reserved address' });
    expect(await sendWebhook('http://hooks.example.com/in', {}, '{}', false)).toEqual({ error: 'url must be an https URL' });
  });
});
