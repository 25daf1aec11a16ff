import { ConfigError } from '../config/config';

/** Runs a command-line entry point: a clear message and exit code 1 on failure. */
export function runCli(command: () => Promise<void>): void {
  command().then(
    () => process.exit(0),
    (error) => {
      console.error(error instanceof ConfigError || !(error instanceof Error) ? String(error.message ?? error) : error.message);
      if (process.env.DEBUG && error instanceof Error) console.error(error.stack);
      process.exit(1);
    },
  );
}
