import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { RequestHandler } from 'express';
import { ForbiddenError, UnsupportedMediaTypeError } from '../../src/errors/index.ts';
import { mediaType } from './request-body.ts';
import { requestUrl } from './route-table.ts';

/** Options of {@link requestGuard}. */
export interface RequestGuardOptions {
  /**
   * The address the server binds (as given to `listen`). When it is a loopback one (`127.0.0.0/8`,
   * `::1`, `localhost`), requests must name a loopback host in `Host`: a DNS-rebinding page reaches
   * the port under its own name and is refused.
   */
  host: string;
  /**
   * Browser origins (`scheme://host[:port]`) that may call the collector besides its own, answered
   * with CORS headers. Their hosts are also accepted in `Host` when bound to loopback.
   * @default []
   */
  corsOrigins?: readonly string[];
}

/** What {@link RequestGuard} did: let the request through, or answer it (a CORS preflight). */
export type RequestGuardOutcome = 'next' | 'answered';

/**
 * Checks a request before routing; throws a {@link ForbiddenError} (foreign `Origin`, rebinding
 * `Host`) or an {@link UnsupportedMediaTypeError} (a body to a JSON endpoint that is not
 * `application/json`), answers the CORS preflights of listed origins, and sets the CORS headers of
 * their other answers. A middleware in all but name: `'next'` means carry on.
 */
export type RequestGuard = (request: IncomingMessage, response: ServerResponse, url: URL) => RequestGuardOutcome;

/** The methods the collector's routes take, as told to preflights. */
const ALLOWED_METHODS = 'GET, HEAD, POST';
/**
 * Request headers a listed origin may send: the JSON API's and those the OpenTelemetry web
 * exporters set (`content-type`, `authorization` or other configured headers, `content-encoding`),
 * plus trace propagation headers that fetch instrumentation adds.
 */
const ALLOWED_HEADERS = 'authorization, content-type, content-encoding, accept, traceparent, tracestate, baggage';
/** How long a browser may cache a preflight answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** Methods that never carry a body the collector reads, and that browsers send without `Origin` same-site. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Builds the collector's request guard: the cross-site and DNS-rebinding defences that every route
 * shares, applied in this order:
 *
 * 1. **Host** (only when bound to loopback): `localhost`, `*.localhost`, `127.x.x.x`, `[::1]`, with
 *    or without a port, or the host of a listed origin; anything else is 403.
 * 2. **Origin**: absent (curl, SDKs, navigations, same-origin GETs) or the collector's own origin
 *    (`http://` + the request's `Host`) passes; a listed origin passes with CORS headers (and its
 *    preflight is answered 204 here); any other, `null` included, is 403.
 * 3. **Content-Type**: a request under `/v1/agl/` other than GET/HEAD/OPTIONS that has a body or
 *    names a content type must be `application/json` (parameters allowed), else 415. Bodiless
 *    POSTs stay allowed: the store contract makes some bodies optional.
 *
 * Invalid `corsOrigins` throw here, at construction.
 */
export function requestGuard(options: RequestGuardOptions): RequestGuard {
  const corsOrigins = new Set<string>();
  const listedHosts = new Set<string>();
  for (const origin of options.corsOrigins ?? []) {
    const parsed = parseOrigin(origin);
    if (parsed === null) {
      throw new RangeError(
        `Expected \`corsOrigins\` to hold origins such as \`http://localhost:5173\` (scheme://host[:port], no path), got \`${origin}\``,
      );
    }
    corsOrigins.add(parsed.origin);
    listedHosts.add(parsed.host);
  }
  const loopbackOnly = isLoopbackName(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host);

  return (request, response, url) => {
    const method = (request.method ?? 'GET').toUpperCase();
    const hostHeader = request.headers.host;
    if (loopbackOnly && hostHeader !== undefined && !isLoopbackName(stripPort(hostHeader)) && !listedHosts.has(hostHeader.toLowerCase())) {
      request.resume();
      throw new ForbiddenError(
        `Refused a request for host \`${hostHeader}\`: the collector listens on a loopback address and answers only ` +
          'localhost, 127.0.0.1 or [::1] (a foreign name pointing here is DNS rebinding). Bind another interface ' +
          'with `agl serve --host`, or list the origin with `agl serve --cors-origin ORIGIN`',
      );
    }

    // Caches must tell apart answers that carry CORS headers from those that do not.
    if (corsOrigins.size > 0) response.setHeader('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const own = hostHeader === undefined ? null : parseOrigin(`http://${hostHeader}`);
      const given = parseOrigin(origin);
      const listed = given !== null && corsOrigins.has(given.origin);
      if (!listed && (given === null || own === null || given.origin !== own.origin)) {
        request.resume();
        throw new ForbiddenError(
          `Refused a cross-origin request from \`${origin}\`: the collector answers browser pages of its own origin` +
            `${own ? ` (${own.origin})` : ''} only; allow another with \`agl serve --cors-origin ORIGIN\``,
        );
      }
      if (listed) {
        response.setHeader('access-control-allow-origin', given.origin);
        response.setHeader('access-control-expose-headers', 'retry-after');
        if (method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
          request.resume();
          response.writeHead(204, {
            'access-control-allow-methods': ALLOWED_METHODS,
            'access-control-allow-headers': ALLOWED_HEADERS,
            'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
            vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
            'content-length': 0,
          });
          response.end();
          return 'answered';
        }
      }
    }

    if (url.pathname.startsWith('/v1/agl/') && !SAFE_METHODS.has(method)) {
      const type = request.headers['content-type'];
      if ((hasBody(request) || type !== undefined) && mediaType(type) !== 'application/json') {
        request.resume();
        throw new UnsupportedMediaTypeError(
          `Expected \`Content-Type: application/json\` on ${method} ${url.pathname}, got \`${mediaType(type) || '(none)'}\``,
        );
      }
    }
    return 'next';
  };
}

/**
 * {@link requestGuard} as the collector's first express middleware: a refused request goes to the
 * error handlers (an OTLP export gets a `google.rpc.Status`, any other a JSON `detail`), an
 * answered preflight ends there. Invalid `corsOrigins` throw here, at construction.
 */
export function requestGuardMiddleware(options: RequestGuardOptions): RequestHandler {
  const guard = requestGuard(options);
  return (request, response, next) => {
    if (guard(request, response, requestUrl(request)) === 'next') next();
  };
}

/** Whether the request carries a body (a chunked one, or a non-zero `Content-Length`). */
function hasBody(request: IncomingMessage): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length.trim() !== '0';
}

/** `scheme://host[:port]` normalised (lowercase, default port dropped), or null when it is no such origin. */
function parseOrigin(text: string): { origin: string; host: string } | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // An origin has no path, query, fragment or credentials (a trailing `/` is tolerated).
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) return null;
  return { origin: url.origin, host: url.host };
}

/** A `Host` header without its port: `name:port` → `name`, `[::1]:port` → `[::1]`. */
function stripPort(host: string): string {
  const trimmed = host.trim();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end === -1 ? trimmed : trimmed.slice(0, end + 1);
  }
  const colon = trimmed.lastIndexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}

/**
 * Whether a host name (IPv6 in brackets, no port) always means this machine: `localhost` and
 * `*.localhost` (RFC 6761; browsers resolve them to loopback themselves), `127.0.0.0/8`, `[::1]`
 * and `[::ffff:127.x.x.x]`.
 */
export function isLoopbackName(name: string): boolean {
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (host.startsWith('[') && host.endsWith(']') && isIPv6(host.slice(1, -1))) {
    // The URL parser writes the canonical (compressed, lowercase) form.
    const canonical = new URL(`http://${host}/`).hostname;
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  }
  return false;
}
