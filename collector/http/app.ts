import express from 'express';
import type { RequestHandler } from 'express';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { OtlpForwarder } from '../../src/forward/index.ts';
import type { GatewayRecorder, LlmGateway } from '../../src/gateway/index.ts';
import type { RecordIngestor, TraceIngestor } from '../../src/ingest/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import type { Database, QueryGate } from '../../src/storage/index.ts';
import type { DuckDBLightningStore } from '../../src/store/index.ts';
import { registerApoRoundsRoutes } from '../routes/apo-rounds.ts';
import { registerDashboardRoutes } from '../routes/dashboard.ts';
import type { DashboardRoutes } from '../routes/dashboard.ts';
import { registerExportRoutes } from '../routes/export.ts';
import { forwarderStatsHandler } from '../routes/forwarder.ts';
import { gatewayRouter } from '../routes/gateway.ts';
import { otlpErrorHandler } from '../routes/otlp-export.ts';
import { otlpLogsHandler } from '../routes/otlp-logs.ts';
import { otlpMetricsHandler } from '../routes/otlp-metrics.ts';
import { otlpTracesHandler } from '../routes/otlp-traces.ts';
import { sqlHandler } from '../routes/sql.ts';
import { storeRouter } from '../routes/store.ts';
import { bearerAuth } from './bearer-auth.ts';
import type { ByteBudget } from './byte-budget.ts';
import { jsonErrorHandler, notFound, sendJson } from './respond.ts';
import { RouteTable, requestUrl, under } from './route-table.ts';

/** What the collector's HTTP app serves, and how. */
export interface HttpAppOptions {
  /** The origin, host and content-type checks (`requestGuardMiddleware`), built before the database opens. */
  guard: RequestHandler;
  /** When set, every route under `/v1/` but health requires `Authorization: Bearer <token>`. */
  token: string | null;
  /** Where unexpected errors are logged. */
  logger: Logger;
  database: Database;
  store: DuckDBLightningStore;
  gateway: LlmGateway;
  gatewayRecorder: GatewayRecorder;
  /** The ingestors of `POST /v1/traces`, `/v1/logs` and `/v1/metrics`. */
  ingestors: { traces: TraceIngestor; logs: RecordIngestor; metrics: RecordIngestor };
  forwarder: OtlpForwarder | null;
  /** The largest OTLP or gateway body, counted after decompression. */
  maxBodyBytes: number;
  /** The bytes of OTLP bodies in flight, shared with the gRPC receiver. */
  budget: ByteBudget;
  /** Where user SQL and exports wait for their turn. */
  sqlGate: QueryGate;
  sqlTimeoutMillis: number;
}

/** The HTTP app and the dashboard's handle (its event streams end before the server closes). */
export interface HttpApp {
  /** The `node:http` request listener. */
  app: RequestListener;
  dashboard: DashboardRoutes;
}

/**
 * The collector's HTTP surface as an express router: the request guard first, then the open health
 * route, the bearer-token middleware on `/v1/`, one router per area (OTLP first: it is the hot
 * path), the dashboard's pages, a 404 for the rest, and the error handlers (the OTLP exports'
 * `google.rpc.Status`, then `{detail, code}` for everything else; the store and the gateway have
 * their own inside their routers). No body parser: each route reads its body with the project's
 * readers, which hold the size and decompression limits.
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  // express's Router as the app: the routing, middleware and error handlers of express 5 without
  // the application object, which swaps the prototypes of every request and response (res.json,
  // req.query... that no route here uses) and cost ~50 µs of CPU per request (measured, GET
  // /v1/agl/health over keep-alive: 17-18 µs of server CPU per request with the hand-written router
  // this replaced, 64-77 µs with express(), 15-21 µs with express.Router). Paths are
  // case-sensitive, as OTLP's are.
  const app = express.Router({ caseSensitive: true });
  app.use(options.guard);
  app.use(new RouteTable().on('GET', '/v1/agl/health', ({ response }) => sendJson(response, 200, { status: 'ok' })).router());
  if (options.token) app.use('/v1', bearerAuth(options.token));
  app.use(under(['/v1/traces', '/v1/logs', '/v1/metrics'], otlpRoutes(options).router()));
  app.use(under(['/v1/agl/gateway/'], gatewayRouter(options.gateway, { maxBodyBytes: options.maxBodyBytes, recorder: options.gatewayRecorder })));
  app.use(under(['/v1/agl/'], storeRouter(options.store)));
  app.use(under(['/v1/agl/'], queryRoutes(options).router()));
  const dashboardRoutes = new RouteTable();
  const dashboard = registerDashboardRoutes(dashboardRoutes, options.database);
  app.use(under(['/v1/agl/dashboard/'], dashboardRoutes.router()));
  app.use(dashboardPages(dashboard));
  app.use(notFound);
  app.use(otlpErrorHandler(options.logger));
  app.use(jsonErrorHandler(options.logger));
  // Every request ends in `notFound` or an error handler; this is the last resort.
  const listener: RequestListener = (request: IncomingMessage, response: ServerResponse) =>
    app(request as never, response as never, (error?: unknown) => {
      options.logger.error('Unhandled request error', error);
      if (!response.headersSent) sendJson(response, 500, { detail: 'Internal server error', code: 'internal' });
      else response.destroy();
    });
  return { app: listener, dashboard };
}

/** `POST /v1/traces`, `/v1/logs`, `/v1/metrics`. */
function otlpRoutes(options: HttpAppOptions): RouteTable {
  const { ingestors, maxBodyBytes, budget, forwarder } = options;
  return new RouteTable()
    .on('POST', '/v1/traces', otlpTracesHandler({ ingestor: ingestors.traces, maxBodyBytes, budget, forwarder }))
    .on('POST', '/v1/logs', otlpLogsHandler({ ingestor: ingestors.logs, maxBodyBytes, budget, forwarder }))
    .on('POST', '/v1/metrics', otlpMetricsHandler({ ingestor: ingestors.metrics, maxBodyBytes, budget, forwarder }));
}

/** User SQL, exports, APO rounds and the forwarder's counters. */
function queryRoutes(options: HttpAppOptions): RouteTable {
  const routes = new RouteTable()
    .on('POST', '/v1/agl/sql', sqlHandler(options.database, { gate: options.sqlGate, timeoutMillis: options.sqlTimeoutMillis }))
    .on('GET', '/v1/agl/forwarder', forwarderStatsHandler(options.forwarder));
  registerExportRoutes(routes, options.database, options.sqlGate);
  registerApoRoundsRoutes(routes, options.database);
  return routes;
}

/** The dashboard's static files and pages: GET and HEAD outside `/v1/`, open without a token (files hold no data). */
function dashboardPages(dashboard: DashboardRoutes): RequestHandler {
  return (request, response, next) => {
    const url = requestUrl(request);
    const page = dashboard.pageRoute(request.method, url.pathname);
    if (page === null) return next();
    return page({ request, response, url, params: {} });
  };
}
