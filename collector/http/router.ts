import type { IncomingMessage, ServerResponse } from 'node:http';
import { MethodNotAllowedError, NotFoundError } from '../../src/errors/index.ts';

/** What a route handler receives. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** Path parameters, e.g. `{ rollout_id: 'ro-1' }` for `/v1/agl/rollouts/{rollout_id}`. */
  params: Record<string, string>;
}

/** Handles one request; throws an `AglError` for an expected failure. */
export type RouteHandler = (context: RouteContext) => Promise<void> | void;

interface Route {
  segments: string[];
  handlers: Map<string, RouteHandler>;
}

/**
 * A small path router. Patterns are literal segments and `{name}` parameters; literal segments
 * win over parameters. A known path with an unknown method is a 405 with `Allow`.
 */
export class Router {
  readonly #routes: Route[] = [];

  /** Registers `handler` for `method` on `pattern`. */
  on(method: string, pattern: string, handler: RouteHandler): this {
    const segments = pattern.split('/').filter(Boolean);
    let route = this.#routes.find((candidate) => candidate.segments.join('/') === segments.join('/'));
    if (!route) {
      route = { segments, handlers: new Map() };
      this.#routes.push(route);
      // Literal segments before parameters, so `/rollouts/search` beats `/rollouts/{id}`.
      this.#routes.sort((a, b) => specificity(b) - specificity(a));
    }
    route.handlers.set(method.toUpperCase(), handler);
    return this;
  }

  /** Finds the handler for a request, or throws `NotFoundError` / `MethodNotAllowedError`. */
  resolve(method: string, pathname: string): { handler: RouteHandler; params: Record<string, string> } {
    const parts = pathname.split('/').filter(Boolean);
    for (const route of this.#routes) {
      const params = match(route.segments, parts);
      if (!params) continue;
      const handler = route.handlers.get(method.toUpperCase()) ?? (method === 'HEAD' ? route.handlers.get('GET') : undefined);
      if (!handler) {
        const allow = [...route.handlers.keys()];
        throw new MethodNotAllowedError(`${method} is not allowed on ${pathname}; use ${allow.join(', ')}`, allow);
      }
      return { handler, params };
    }
    throw new NotFoundError(`No such endpoint: ${pathname}`);
  }
}

function specificity(route: Route): number {
  return route.segments.reduce((score, segment) => score * 2 + (segment.startsWith('{') ? 0 : 1), 1);
}

function match(segments: string[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    if (segment.startsWith('{') && segment.endsWith('}')) {
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(parts[index]);
      } catch {
        return null;
      }
    } else if (segment !== parts[index]) {
      return null;
    }
  }
  return params;
}
