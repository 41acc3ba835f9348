// Development server for heatlens: serves web/ at http://localhost:8080.
//
// It sends the COOP/COEP headers that make the page cross-origin isolated (so the threaded
// wasm build can use SharedArrayBuffer). `?coi=0` on a page, or `--no-isolation`, leaves
// them out, to try the single-thread fallback.
//   node web/serve.mjs [--port 8080] [--host 127.0.0.1] [--no-isolation]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const mimeTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.wav': 'audio/wav',
  '.onnx': 'application/octet-stream',
  '.npy': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function createServer({ isolation = true } = {}) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(root, path.normalize(rel));
    const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (isolation && url.searchParams.get('coi') !== '0') {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    if (!file.startsWith(root + path.sep) || req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(403, headers).end('forbidden');
      return;
    }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${rel}`);
        return;
      }
      headers['Content-Type'] = mimeTypes[path.extname(file).toLowerCase()] || 'application/octet-stream';
      headers['Content-Length'] = stat.size;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const port = Number(option('--port', process.env.PORT || 8080));
  const host = option('--host', '127.0.0.1');
  const isolation = !args.includes('--no-isolation');
  if (!fs.existsSync(path.join(root, 'engine', 'heatlens.wasm'))) {
    console.error('serve: web/engine/heatlens.wasm is missing; run "npm run build" first');
    process.exit(2);
  }
  createServer({ isolation }).listen(port, host, () => {
    console.log(`heatlens: serving ${root} at http://localhost:${port}/` +
      (isolation ? ' (cross-origin isolated; add ?coi=0 for the single-thread build)' : ''));
  });
}
