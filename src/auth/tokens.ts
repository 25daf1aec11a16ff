import { createSecretKey, KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '../errors';
import { isRole, Principal, Role } from './principal';

const ALGORITHM = 'HS256';

/** How many verified tokens a process remembers (mobile apps send the same token on every screen). */
const REMEMBERED_TOKENS = 10_000;

export class TokenService {
  private readonly key: KeyObject;
  /**
   * Tokens whose signature verified, with their expiry (seconds): a token seen again skips the HMAC and the JSON
   * parsing, and is still refused once it expires. Oldest first (Map order), at most REMEMBERED_TOKENS.
   */
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number | undefined }>();

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
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt === undefined || Date.now() / 1000 < known.expiresAt) return known.principal;
      this.verified.delete(token);
      throw new UnauthenticatedError('token expired', 401);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM] });
      if (!payload.sub) throw new UnauthenticatedError('token has no sub claim', 401);
      if (!isRole(payload.role)) throw new UnauthenticatedError('token role must be member, storefront, support or admin', 401);
      const principal: Principal = { subject: payload.sub, role: payload.role as Role };
      if (this.verified.size >= REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { principal, expiresAt: payload.exp });
      return principal;
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
