import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import express from 'express';
import { consoleRoute } from '../../src/console.route';

/** GET over a real socket, the body as raw bytes (no client-side decompression). */
function get(server: Server, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: pathname, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the console route', () => {
  let directory: string;
  let server: Server;
  const script = `export const rows = [${Array.from({ length: 2000 }, (_, index) => `{ id: ${index}, label: "row ${index}" }`).join(', ')}];\n`;
  const page = `<!doctype html><html><head><script type="module" src="/console/assets/app-1a2b3c.js"></script></head><body>${'<div></div>'.repeat(200)}</body></html>`;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'perkgraph-console-'));
    mkdirSync(path.join(directory, 'assets'));
    writeFileSync(path.join(directory, 'index.html'), page);
    writeFileSync(path.join(directory, 'assets', 'app-1a2b3c.js'), script);
    const app = express();
    app.use('/console', consoleRoute(directory));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(directory, { recursive: true, force: true });
  });

  it('gzips assets and the page for clients that accept gzip, the same bytes once unzipped', async () => {
    const asset = await get(server, '/console/assets/app-1a2b3c.js', { 'accept-encoding': 'gzip, deflate' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body.length).toBeLessThan(Buffer.byteLength(script) / 4);
    expect(gunzipSync(asset.body).toString()).toBe(script);

    const index = await get(server, '/console/', { 'accept-encoding': 'gzip' });
    expect(index.status).toBe(200);
    expect(index.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(index.body).toString()).toBe(page);
  });

  it('sends brotli to browsers that accept it (Chromium, Firefox, Safari)', async () => {
    const asset = await get(server, '/console/assets/app-1a2b3c.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.body.length).toBeLessThan(Buffer.byteLength(script) / 4);
    expect(brotliDecompressSync(asset.body).toString()).toBe(script);
  });

  it('sends them as they are to clients that do not accept gzip', async () => {
    const asset = await get(server, '/console/assets/app-1a2b3c.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBeUndefined();
    expect(asset.body.toString()).toBe(script);
  });

  it('answers 404 for a missing asset', async () => {
    expect((await get(server, '/console/assets/missing.js', { 'accept-encoding': 'gzip' })).status).toBe(404);
  });
});
