/**
 * Loading shaders and the tile table over HTTP, as in a browser: a server that answers an unknown
 * URL with its index page (a dev server's SPA fallback, status 200) must give "expected WGSL/JSON
 * from URL X, got HTML", not a WGSL compile error or a JSON parse error further on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchText } from '../../src/gpu/shader-source';

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok.wgsl') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('fn f() {}\n');
    } else if (req.url === '/untyped.json') {
      res.writeHead(200).end('<!DOCTYPE html><html><body>app</body></html>');
    } else if (req.url === '/missing.wgsl') {
      res.writeHead(404).end();
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>app</body></html>');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

describe('fetchText over HTTP', () => {
  it('returns the text of a real file', async () => {
    expect(await fetchText(new URL(`${base}/ok.wgsl`))).toBe('fn f() {}\n');
  });

  it('names the URL and what it expected when the server answers HTML (by content type or by the text)', async () => {
    await expect(fetchText(new URL(`${base}/shaders/matmul.wgsl`))).rejects.toThrow(
      `expected WGSL from URL ${base}/shaders/matmul.wgsl, got HTML`);
    await expect(fetchText(new URL(`${base}/untyped.json`))).rejects.toThrow(`expected JSON from URL ${base}/untyped.json, got HTML`);
  });

  it('reports an HTTP error with the URL', async () => {
    await expect(fetchText(new URL(`${base}/missing.wgsl`))).rejects.toThrow(`cannot load WGSL from ${base}/missing.wgsl: HTTP 404`);
  });
});
