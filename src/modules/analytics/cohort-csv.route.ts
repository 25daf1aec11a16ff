import type { Request, RequestHandler, Response } from 'express';
import { GraphQLDateTime } from 'graphql-scalars';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config';
import type { TokenService } from '../../auth/tokens';
import { BadUserInputError, DomainError } from '../../errors';
import { sendIfServiceUnavailable } from '../../graphql/service-unavailable';
import { countAuthenticationRejection } from '../../observability/domain-metrics';
import { cohortCsv } from './growth-math';
import { growthQueryOrFail, type GrowthService } from './growth.service';

/**
 * GET /admin/cohorts.csv?from=...&to=...[&market=..][&channel=..]: the cohort retention grid of growthMetrics
 * (retention.cohorts) as CSV for spreadsheets. Admin bearer token: 401 without a valid one, 403 for other
 * roles; 400 when a parameter is bad. Times are ISO 8601 (RFC 3339) or dates (YYYY-MM-DD, midnight UTC).
 */
export function cohortCsvRoute({ orm, tokens, config, growth }: { orm: MikroORM; tokens: TokenService; config: Config; growth: GrowthService }): RequestHandler {
  return async (request, response) => {
    try {
      const principal = await tokens.principalFromHeader(request.headers.authorization);
      if (!principal) countAuthenticationRejection('missing_token');
      if (!principal) return sendError(response, 401, 'UNAUTHENTICATED', 'a valid bearer token is required');
      if (principal.role !== 'admin') return sendError(response, 403, 'FORBIDDEN', 'requires the admin role');
      const query = growthQueryOrFail(timeParameter(request, 'from'), timeParameter(request, 'to'), textParameter(request, 'market'), textParameter(request, 'channel'));
      const rows = await growth.cohorts({ em: orm.em.fork(), principal, requestId: String(request.id), config, logger: request.log }, query);
      response
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', 'attachment; filename="cohorts.csv"')
        .send(cohortCsv(rows));
    } catch (error) {
      if (error instanceof DomainError) {
        const status = error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'FORBIDDEN' ? 403 : 400;
        if (status === 401) countAuthenticationRejection('bad_token');
        return sendError(response, status, error.code, error.message);
      }
      if (sendIfServiceUnavailable(error, response)) return;
      request.log.error({ err: error }, 'cohort CSV failed');
      sendError(response, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
  };
}

function textParameter(request: Request, name: string): string | null {
  const value = request.query[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new BadUserInputError(name, 'must be given once');
  return value;
}

function timeParameter(request: Request, name: string): Date {
  const value = textParameter(request, name);
  if (value === null) throw new BadUserInputError(name, 'is required');
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)) return date;
  }
  try {
    return GraphQLDateTime.parseValue(value) as Date;
  } catch {
    throw new BadUserInputError(name, 'must be an ISO 8601 time such as 2026-01-01T00:00:00Z, or a date such as 2026-01-01');
  }
}

function sendError(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ errors: [{ message, extensions: { code } }] });
}
