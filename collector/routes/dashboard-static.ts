import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../src/errors/index.ts';
import { sendBody } from '../http/respond.ts';
import type { RouteHandler } from '../http/route-table.ts';

/**
 * Where `npm run build:dashboard` (run by `npm ci` through `prepare`) writes the dashboard: in the
 * package's root, two folders up from this source file (collector/routes/) and three from its
 * compiled form in the installed package (dist/collector/routes/).
 */
export const DASHBOARD_DIST = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dashboard/dist/' : '../../../dashboard/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// The UI talks only to this origin; no inline scripts (React sets styles through the DOM).
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Agent Lightning dashboard not built</title>
<h1>The dashboard is not built</h1>
<p>This collector serves the dashboard from <code>dashboard/dist</code>, which is missing.
Build it with <code>npm run build:dashboard</code> (<code>npm ci</code> does it through the <code>prepare</code> script), then reload.
The API under <code>/v1/agl/</code> works without it.</p>`;

/**
 * The dashboard's static files for every path outside `/v1/` (which holds OTLP and the API):
 * files of `root` by path, with their content type; any other path without a file extension is a
 * page of the single-page app and gets `index.html` (so that `/rollouts/ro-1` can be reloaded).
 * Paths cannot leave `root`. When the build is missing, every page says how to build it (503).
 * Returns null for paths under `/v1/` and for methods other than GET and HEAD (the router's 404).
 */
export function dashboardPageRoute(method: string, pathname: string, root = DASHBOARD_DIST): RouteHandler | null {
  if (pathname === '/v1' || pathname.startsWith('/v1/')) return null;
  if (method !== 'GET' && method !== 'HEAD') return null;
  return async ({ response }) => {
    const file = await findFile(root, pathname);
    if (file) {
      const hashed = pathname.startsWith('/assets/');
      sendBody(response, 200, CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', await readFile(file), {
        ...PAGE_HEADERS,
        'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      return;
    }
    if (extname(pathname) !== '') throw new NotFoundError(`No such file: ${pathname}`);
    const index = resolve(root, 'index.html');
    if (!(await isFile(index))) {
      sendBody(response, 503, 'text/html; charset=utf-8', NOT_BUILT, PAGE_HEADERS);
      return;
    }
    sendBody(response, 200, 'text/html; charset=utf-8', await readFile(index), PAGE_HEADERS);
  };
}

/** The file of `root` that `pathname` names, or null (also for any path that would leave `root`). */
async function findFile(root: string, pathname: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  const path = resolve(base, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (!path.startsWith(base + sep)) return null;
  return (await isFile(path)) ? path : null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
