import pino, { Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Structured JSON logs on stdout; `pretty` (development on a terminal) prints them readable instead, in this
 * process (no transport worker), so nothing is lost on exit.
 */
export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const settings = { level, base: { service: 'perkgraph' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.pretty) return pino(settings, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'service,pid,hostname', sync: true }));
  return pino(settings);
}

/** Readable logs only where a person reads them: development, on a terminal. */
export function wantsPrettyLogs(nodeEnv: string, stdoutIsTerminal: boolean | undefined): boolean {
  return nodeEnv === 'development' && stdoutIsTerminal === true;
}
