import type { AuthCheckerFn } from 'type-graphql';
import type { Role } from '../auth/principal';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { RequestContext } from './context';

/** `@Authorized()` needs any valid token; `@Authorized('support', 'admin')` needs one of those roles. */
export const authChecker: AuthCheckerFn<RequestContext, Role> = ({ context }, roles) => {
  if (!context.principal) throw new UnauthenticatedError();
  if (roles.length === 0 || roles.includes(context.principal.role)) return true;
  throw new ForbiddenError(`requires the ${roles.join(' or ')} role`);
};
