import path from 'node:path';
import { existsSync } from 'node:fs';
import compression from 'compression';
import express from 'express';
import { PROJECT_ROOT } from './db/paths';

/** Where `npm run build:console` writes the web console (console/vite.config.ts). */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'dist', 'console');

/**
 * The web console at /console, served from its built assets. Hashed assets are cached for a year; the pages are
 * revalidated; both are compressed (brotli, else gzip) for browsers that accept it (the first load is about a
 * quarter of the bytes: 221 KiB instead of 851 KiB). Only the console's routes compress: /graphql answers as before.
 * Before `npm run build:console` has run, /console answers 404 saying so.
 */
export function consoleRoute(directory = CONSOLE_DIR): express.Router {
  const router = express.Router();
  router.use(compression());
  router.use(
    '/assets',
    express.static(path.join(directory, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  router.use(express.static(directory, { index: 'index.html', maxAge: 0 }));
  router.use((_request, response) => {
    if (!existsSync(path.join(directory, 'index.html'))) {
      response.status(404).type('text/plain').send('The console is not built: run npm run build:console');
      return;
    }
    response.status(404).type('text/plain').send('Not found');
  });
  return router;
}
