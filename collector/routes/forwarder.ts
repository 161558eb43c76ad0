import { NotFoundError } from '../../src/errors/index.ts';
import type { OtlpForwarder } from '../../src/forward/index.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteHandler } from '../http/route-table.ts';

/**
 * `GET /v1/agl/forwarder`: the forwarding counters (`url`, `queued_requests`, `queued_bytes`,
 * `forwarded`, `retried`, `dropped`, `failed`, `last_error`); a 404 when forwarding is off.
 */
export function forwarderStatsHandler(forwarder: OtlpForwarder | null): RouteHandler {
  return ({ response }) => {
    if (!forwarder) throw new NotFoundError('Forwarding is off: start the collector with --forward URL');
    sendJson(response, 200, forwarder.stats());
  };
}
