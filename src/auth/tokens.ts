import { createSecretKey, KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '../errors';
import { isRole, Principal, Role } from './principal';

const ALGORITHM = 'HS256';

export class TokenService {
  private readonly key: KeyObject;

  constructor(secret: string) {
    // One key object for the process: jose would otherwise import the raw secret on every verification.
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  async sign(principal: Principal, expiresIn: string | number = '12h'): Promise<string> {
    return new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(principal.subject)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(this.key);
  }

  /** Verifies signature, algorithm and expiry; any failure is UNAUTHENTICATED with HTTP 401. */
  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM] });
      if (!payload.sub) throw new UnauthenticatedError('token has no sub claim', 401);
      if (!isRole(payload.role)) throw new UnauthenticatedError('token role must be member, storefront, support or admin', 401);
      return { subject: payload.sub, role: payload.role as Role };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('token expired', 401);
      throw new UnauthenticatedError('invalid token', 401);
    }
  }

  /** Reads `Authorization: Bearer <JWT>`; no header means an anonymous caller. */
  async principalFromHeader(header: string | undefined): Promise<Principal | undefined> {
    if (!header) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"', 401);
    return this.verify(match[1]);
  }
}
