/**
 * npm run token -- --role admin [--sub ID] [--expires 12h] [--console]
 * Prints a bearer token signed with the configured JWT_SECRET (or the development secret). The last line is the token,
 * or with --console a link that signs the web console in with it (http://localhost:PORT/console#token=...).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { isRole, ROLES } from '../auth/principal';
import { TokenService } from '../auth/tokens';
import { runCli } from './run-cli';

const TOKEN_USAGE = `Usage: npm run token -- --role ROLE [--sub ID] [--expires 12h]

Prints a bearer token signed with JWT_SECRET (or the development secret outside production).
The last line of the output is the token.

  --role     ${ROLES.join(', ')}
  --sub      the subject: required for a member token (the member's externalId)
  --expires  lifetime such as 30m, 12h or 7d (default 12h)
  --help     print this help`;

runCli(async () => {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, sub: { type: 'string' }, expires: { type: 'string', default: '12h' }, help: { type: 'boolean', short: 'h' }, console: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(TOKEN_USAGE);
    return;
  }
  if (!isRole(values.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}\n\n${TOKEN_USAGE}`);
  if (values.role === 'member' && !values.sub) throw new Error("--sub is required for a member token (the member's externalId)");
  const config = loadConfig();
  const token = await new TokenService(config.jwtSecret).sign({ role: values.role, subject: values.sub ?? `${values.role}-cli` }, values.expires);
  if (config.usesDevelopmentSecret) console.error('(signed with the development secret: JWT_SECRET is not set)');
  console.log(values.console ? `http://localhost:${config.port}/console#token=${token}` : token);
});
