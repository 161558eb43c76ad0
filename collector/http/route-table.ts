import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { MethodNotAllowedError } from '../../src/errors/index.ts';

/** What a route handler receives. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** Path parameters, e.g. `{ rollout_id: 'ro-1' }` for `/v1/agl/rollouts/:rollout_id`. */
  params: Record<string, string>;
}

/** Handles one request: answers it, or throws an `AglError` for an expected failure. */
export type RouteHandler = (context: RouteContext) => Promise<void> | void;

/** The methods the collector's routes take (HEAD is served by a GET route). */
export type RouteMethod = 'GET' | 'POST';

const urls = new WeakMap<IncomingMessage, URL>();

/** The request's URL (parsed once per request, whichever middleware asks first). */
export function requestUrl(request: IncomingMessage): URL {
  let url = urls.get(request);
  if (url === undefined) {
    url = new URL((request as Partial<Request>).originalUrl ?? request.url ?? '/', 'http://collector');
    urls.set(request, url);
  }
  return url;
}

/** An express handler that runs a {@link RouteHandler}; express 5 passes what it throws (or rejects with) on to the error handlers. */
export function expressHandler(handler: RouteHandler): RequestHandler {
  return (request, response) =>
    handler({ request, response, url: requestUrl(request), params: request.params as Record<string, string> });
}

/**
 * The routes of one area (OTLP, the store, SQL and exports, the dashboard, the gateway), turned into
 * an express router by {@link router}. Paths use express' `:name` parameters. The router keeps the
 * collector's routing rules: literal segments win over parameters whatever the order of
 * registration (`/rollouts/search` beats `/rollouts/:rollout_id`), HEAD is served by GET, and a
 * known path asked with another method is a 405 with `Allow` (it never falls through to a less
 * specific path).
 */
export class RouteTable {
  readonly #routes = new Map<string, Map<RouteMethod, RouteHandler>>();

  /** Registers `handler` for `method` on `path`. */
  on(method: RouteMethod, path: string, handler: RouteHandler): this {
    let handlers = this.#routes.get(path);
    if (handlers === undefined) {
      handlers = new Map();
      this.#routes.set(path, handlers);
    }
    handlers.set(method, handler);
    return this;
  }

  /** An express router (case-sensitive, like the paths of OTLP and the store contract) serving every route. */
  router(): Router {
    const router = Router({ caseSensitive: true });
    const paths = [...this.#routes.keys()].sort((a, b) => specificity(b) - specificity(a));
    for (const path of paths) {
      const handlers = this.#routes.get(path)!;
      const route = router.route(path);
      for (const [method, handler] of handlers) {
        if (method === 'GET') route.get(expressHandler(handler));
        else route.post(expressHandler(handler));
      }
      route.all(methodNotAllowed([...handlers.keys()]));
    }
    return router;
  }
}

/**
 * Runs `router` only for request paths that start with one of `prefixes`: one string check instead
 * of matching every one of its routes' patterns (a store call used to walk the OTLP and gateway
 * routes first).
 */
export function under(prefixes: readonly string[], router: RequestHandler): RequestHandler {
  return (request, response, next) => {
    const path = request.url ?? '';
    for (const prefix of prefixes) if (path.startsWith(prefix)) return router(request, response, next);
    next();
  };
}

/** The answer to a known path asked with a method it does not take. */
function methodNotAllowed(allow: string[]): RequestHandler {
  return (request, _response, next) => {
    next(new MethodNotAllowedError(`${request.method} is not allowed on ${requestUrl(request).pathname}; use ${allow.join(', ')}`, allow));
  };
}

/** Literal segments count more than parameters, earlier ones more than later ones. */
function specificity(path: string): number {
  return path
    .split('/')
    .filter(Boolean)
    .reduce((score, segment) => score * 2 + (segment.startsWith(':') ? 0 : 1), 1);
}
