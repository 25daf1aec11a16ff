import { describe, it, expect, jest } from '@jest/globals';
import { SignJWT, UnsecuredJWT } from 'jose';
import { TokenService } from '../../src/auth/tokens';
import { UnauthenticatedError } from '../../src/errors';

const SECRET = 'unit-test-secret-0123456789-0123456789';
const key = new TextEncoder().encode(SECRET);
const tokens = new TokenService(SECRET);
const now = () => Math.floor(Date.now() / 1000);

/** Awaits a rejection and checks it is UNAUTHENTICATED with HTTP 401; returns its message. */
async function unauthenticated(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  const { extensions, message } = error as UnauthenticatedError;
  expect(extensions.code).toBe('UNAUTHENTICATED');
  expect(extensions.http).toEqual({ status: 401 });
  return message;
}

/** An HS256 token with our secret and arbitrary claims. */
function craft(claims: Record<string, unknown>, configure: (jwt: SignJWT) => SignJWT = (jwt) => jwt.setExpirationTime('1h')) {
  return configure(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()).sign(key);
}

describe('TokenService', () => {
  it.each(['member', 'storefront', 'support', 'admin'] as const)('round-trips subject and role %s', async (role) => {
    const token = await tokens.sign({ subject: 'cust-42', role });
    expect(await tokens.verify(token)).toEqual({ subject: 'cust-42', role });
  });

  it('signs HS256 tokens that expire after the given time', async () => {
    const token = await tokens.sign({ subject: 's', role: 'admin' }, '2h');
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header).toEqual({ alg: 'HS256' });
    expect(payload.exp - payload.iat).toBe(2 * 60 * 60);
    expect(payload).toMatchObject({ sub: 's', role: 'admin' });
  });

  it('rejects a token signed with another secret', async () => {
    const token = await new TokenService('another-secret-0123456789-0123456789').sign({ subject: 's', role: 'admin' });
    expect(await unauthenticated(tokens.verify(token))).toBe('invalid token');
  });

  it('rejects a tampered payload', async () => {
    const token = await tokens.sign({ subject: 's', role: 'member' });
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 's', role: 'admin', exp: now() + 3600 })).toString('base64url');
    expect(await unauthenticated(tokens.verify(`${header}.${payload}.${signature}`))).toBe('invalid token');
  });

  it('remembers a verified token only until it expires', async () => {
    const service = new TokenService(SECRET);
    const expiresAt = now() + 120;
    const token = await craft({ sub: 'cust-7', role: 'member' }, (jwt) => jwt.setExpirationTime(expiresAt));
    expect(await service.verify(token)).toEqual({ subject: 'cust-7', role: 'member' });
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(expiresAt * 1000 - 1);
      expect(await service.verify(token)).toEqual({ subject: 'cust-7', role: 'member' });
      clock.mockReturnValue(expiresAt * 1000);
      expect(await unauthenticated(service.verify(token))).toBe('token expired');
    } finally {
      clock.mockRestore();
    }
  });

  it('rejects an expired token with "token expired"', async () => {
    const token = await craft({ sub: 's', role: 'admin' }, (jwt) => jwt.setExpirationTime(now() - 60));
    expect(await unauthenticated(tokens.verify(token))).toBe('token expired');
  });

  it('rejects a token that is not yet valid', async () => {
    const token = await craft({ sub: 's', role: 'admin' }, (jwt) => jwt.setExpirationTime('2h').setNotBefore(now() + 3600));
    expect(await unauthenticated(tokens.verify(token))).toBe('invalid token');
  });

  it.each([['superuser'], [undefined], [42], ['ADMIN']])('rejects the role %p', async (role) => {
    const token = await craft({ sub: 's', role });
    expect(await unauthenticated(tokens.verify(token))).toBe('token role must be member, storefront, support or admin');
  });

  it('rejects a token without a sub claim or with an empty one', async () => {
    expect(await unauthenticated(tokens.verify(await craft({ role: 'admin' })))).toBe('token has no sub claim');
    expect(await unauthenticated(tokens.verify(await craft({ sub: '', role: 'admin' })))).toBe('token has no sub claim');
  });

  it('rejects an HS512 token even with the right secret', async () => {
    const token = await new SignJWT({ sub: 's', role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(key);
    expect(await unauthenticated(tokens.verify(token))).toBe('invalid token');
  });

  it('rejects an unsecured alg "none" token', async () => {
    const token = new UnsecuredJWT({ sub: 's', role: 'admin' }).setExpirationTime('1h').encode();
    expect(token.split('.')[2]).toBe('');
    expect(await unauthenticated(tokens.verify(token))).toBe('invalid token');
  });

  it.each(['', 'garbage', 'a.b.c'])('rejects the malformed token %p', async (token) => {
    expect(await unauthenticated(tokens.verify(token))).toBe('invalid token');
  });
});

describe('TokenService.principalFromHeader', () => {
  it('treats a missing or empty header as anonymous', async () => {
    expect(await tokens.principalFromHeader(undefined)).toBeUndefined();
    expect(await tokens.principalFromHeader('')).toBeUndefined();
  });

  it('accepts the Bearer scheme in any case and with surrounding whitespace', async () => {
    const token = await tokens.sign({ subject: 'cust-1', role: 'member' });
    for (const header of [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`, `  Bearer   ${token}  `]) {
      expect(await tokens.principalFromHeader(header)).toEqual({ subject: 'cust-1', role: 'member' });
    }
  });

  it.each(['Basic abc', 'Bearer', 'Bearer ', 'Token abc', 'Bearer a b', '   '])('rejects the header %p', async (header) => {
    expect(await unauthenticated(tokens.principalFromHeader(header))).toBe('Authorization header must be "Bearer <token>"');
  });

  it('verifies the bearer token', async () => {
    const token = await new TokenService('another-secret-0123456789-0123456789').sign({ subject: 's', role: 'admin' });
    expect(await unauthenticated(tokens.principalFromHeader(`Bearer ${token}`))).toBe('invalid token');
  });
});
