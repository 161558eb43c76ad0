import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AglError, UnauthorizedError } from '../src/errors/index.ts';
import { OtlpForwarder } from '../src/forward/index.ts';
import { GatewayRecorder, LlmGateway } from '../src/gateway/index.ts';
import type { LlmGatewayOptions } from '../src/gateway/index.ts';
import type { OtlpForwarderOptions } from '../src/forward/index.ts';
import { MemoryLimit, RecordIngestor, TraceIngestor } from '../src/ingest/index.ts';
import { createLogger } from '../src/logging/index.ts';
import type { Logger } from '../src/logging/index.ts';
import { DEFAULT_SQL_TIMEOUT_MILLIS, Database, DuckDBRecordSink, DuckDBSpanSink, QueryGate } from '../src/storage/index.ts';
import { DuckDBLightningStore } from '../src/store/index.ts';
import { OtlpGrpcReceiver } from './grpc/index.ts';
import { PortInUseError } from './port-in-use-error.ts';
import { ByteBudget } from './http/byte-budget.ts';
import { requestGuard } from './http/request-guard.ts';
import { sendError, sendJson } from './http/respond.ts';
import { Router } from './http/router.ts';
import { registerApoRoundsRoutes } from './routes/apo-rounds.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import type { DashboardRoutes } from './routes/dashboard.ts';
import { registerExportRoutes } from './routes/export.ts';
import { forwarderStatsHandler } from './routes/forwarder.ts';
import { registerGatewayRoutes } from './routes/gateway.ts';
import { OTLP_EXPORT_PATHS } from './routes/otlp-export.ts';
import { otlpLogsHandler } from './routes/otlp-logs.ts';
import { otlpMetricsHandler } from './routes/otlp-metrics.ts';
import { otlpTracesHandler, sendOtlpError } from './routes/otlp-traces.ts';
import { sqlHandler } from './routes/sql.ts';
import { registerResourcesRoutes } from './routes/store-resources.ts';
import { registerRolloutRoutes } from './routes/store-rollouts.ts';
import { registerSpanRoutes } from './routes/store-spans.ts';
import { registerWorkerRoutes } from './routes/store-workers.ts';

/** Options of {@link Collector.start}. */
export interface CollectorOptions {
  /**
   * The DuckDB file (created when missing), or `:memory:`.
   * @default './agl.duckdb'
   */
  dbPath?: string;
  /**
   * The interface to bind.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * The HTTP port for OTLP, the store API and the dashboard; 0 picks a free one.
   * @default 4318
   */
  port?: number;
  /**
   * The OTLP/gRPC port (`TraceService/Export`, same host); 0 picks a free one, `null` serves no gRPC.
   * @default null
   */
  grpcPort?: number | null;
  /** When set, OTLP (HTTP and gRPC `authorization` metadata) and the API require `Bearer <token>`. */
  token?: string;
  /**
   * The largest OTLP body, counted after decompression.
   * @default 20 MiB
   */
  maxBodyBytes?: number;
  /**
   * Bytes of OTLP bodies being read and decoded at once, over HTTP and gRPC together, before new
   * requests get 503 (gRPC: UNAVAILABLE). At full speed far less is in flight (8 senders of
   * 512-span requests: a few MiB); {@link maxMemoryBytes} bounds the rest of the memory.
   * @default 128 MiB
   */
  maxInFlightBytes?: number;
  /**
   * Spans waiting for their commit before new requests get 503.
   * @default 262144
   */
  maxQueuedSpans?: number;
  /**
   * The longest an OTLP request (HTTP or gRPC) may wait for its commit: a request the measured
   * throughput says would wait longer gets 503 (gRPC: UNAVAILABLE) with `Retry-After` at once, and
   * one still queued when the time is up gets it then; nothing of either is stored. See
   * `TraceIngestorOptions.maxCommitWaitMillis`.
   * @default 2000
   */
  maxCommitWaitMillis?: number;
  /**
   * The resident memory (RSS) above which new OTLP requests (HTTP and gRPC) get 503 with
   * `Retry-After` before their bodies are read; what was taken is still stored. It covers what the
   * byte budget cannot see: decoded rows, DuckDB's uncheckpointed row groups, allocator caches.
   * `null` turns it off.
   * @default 640 MiB
   */
  maxMemoryBytes?: number | null;
  /** Where log lines go. @default a stderr logger at `info` */
  logger?: Logger;
  /**
   * How often the store's watchdog looks for timed-out and unresponsive attempts; 0 turns it off.
   * @default 1000
   */
  watchdogIntervalMillis?: number;
  /**
   * When set, every accepted OTLP request is forwarded unchanged to this OTLP/HTTP endpoint (a base
   * such as `http://jaeger:4318`, or the full `/v1/traces` URL) in the background.
   */
  forwardUrl?: string;
  /** Headers, buffer limits and retry timings of the forwarding; see {@link OtlpForwarderOptions}. */
  forwardOptions?: Omit<OtlpForwarderOptions, 'url' | 'logger'>;
  /**
   * How long `close()` keeps sending queued forwards before dropping them.
   * @default 5000
   */
  forwardCloseTimeoutMillis?: number;
  /**
   * User SQL (`POST /v1/agl/sql`, exports) is cancelled after this long, with 408.
   * @default 30000
   */
  sqlTimeoutMillis?: number;
  /**
   * A directory whose files user SQL may read (`read_csv`, `read_parquet`, `glob`…); `null`: no
   * file outside the database can be read. Never writable through SQL.
   * @default null
   */
  sqlAllowFiles?: string | null;
  /**
   * User SQL queries (and exports) running at once; up to 8 more wait, the rest get 429. Each
   * running query holds a thread of Node's pool, which ingest needs too (`bin/agl.js` sizes the
   * pool to 16).
   * @default 2
   */
  sqlMaxRunning?: number;
  /**
   * Browser origins (`scheme://host[:port]`, e.g. `http://localhost:5173`) that may call the
   * collector besides its own: their requests get CORS headers and their preflights are answered.
   * A request with any other `Origin` (`null` included) is refused with 403.
   * @default []
   */
  corsOrigins?: readonly string[];
  /**
   * The LLM gateway (`/v1/agl/gateway/…`): its upstream model, key and timeouts; see
   * {@link LlmGatewayOptions}. Its calls are recorded through the OTLP ingest path.
   * @default upstream from `OPENAI_BASE_URL`, key from `OPENAI_API_KEY`
   */
  gateway?: Omit<LlmGatewayOptions, 'store' | 'recorder'>;
}

/**
 * The collector: one HTTP server (OTLP/HTTP receiver, store API, SQL, dashboard) and the one
 * process that writes the DuckDB file.
 */
export class Collector {
  /** The base URL, e.g. `http://127.0.0.1:4318`. */
  readonly url: string;
  readonly database: Database;
  /** The rollout store served under `/v1/agl/`. */
  readonly store: DuckDBLightningStore;
  /** The LLM gateway served under `/v1/agl/gateway/`. */
  readonly gateway: LlmGateway;
  /** Records the gateway's calls; `flush()` waits until the calls answered so far are stored. */
  readonly gatewayRecorder: GatewayRecorder;
  readonly #server: Server;
  readonly #grpc: OtlpGrpcReceiver | null;
  readonly #sink: DuckDBSpanSink;
  readonly #ingestor: TraceIngestor;
  /** Where log records and metric data points go (`POST /v1/logs`, `/v1/metrics`, their gRPC services). */
  readonly #recordSink: DuckDBRecordSink;
  readonly #logger: Logger;
  readonly #forwarder: OtlpForwarder | null;
  readonly #forwardCloseTimeoutMillis: number;
  readonly #dashboard: DashboardRoutes;
  #closing: Promise<void> | null = null;

  private constructor(
    url: string,
    database: Database,
    store: DuckDBLightningStore,
    server: Server,
    grpc: OtlpGrpcReceiver | null,
    sink: DuckDBSpanSink,
    ingestor: TraceIngestor,
    logger: Logger,
    forwarder: OtlpForwarder | null,
    forwardCloseTimeoutMillis: number,
    dashboard: DashboardRoutes,
    gateway: LlmGateway,
    gatewayRecorder: GatewayRecorder,
    recordSink: DuckDBRecordSink,
  ) {
    this.#recordSink = recordSink;
    this.url = url;
    this.database = database;
    this.store = store;
    this.gateway = gateway;
    this.gatewayRecorder = gatewayRecorder;
    this.#server = server;
    this.#grpc = grpc;
    this.#sink = sink;
    this.#ingestor = ingestor;
    this.#logger = logger;
    this.#forwarder = forwarder;
    this.#forwardCloseTimeoutMillis = forwardCloseTimeoutMillis;
    this.#dashboard = dashboard;
  }

  /** The OTLP/gRPC address for exporters, e.g. `http://127.0.0.1:4317`, or `null` when gRPC is off. */
  get grpcUrl(): string | null {
    return this.#grpc?.url ?? null;
  }

  /** The forwarder when `forwardUrl` was given, else `null`. */
  get forwarder(): OtlpForwarder | null {
    return this.#forwarder;
  }

  /** Opens the database and starts listening. */
  static async start(options: CollectorOptions = {}): Promise<Collector> {
    const logger = options.logger ?? createLogger('info');
    const port = options.port ?? 4318;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`Expected \`port\` to be an integer from 0 to 65535, got \`${port}\``);
    }
    const grpcPort = options.grpcPort ?? null;
    if (grpcPort !== null && (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535)) {
      throw new RangeError(`Expected \`grpcPort\` to be an integer from 0 to 65535 or null, got \`${grpcPort}\``);
    }
    const host = options.host ?? '127.0.0.1';
    // Origin, Host (DNS rebinding) and Content-Type checks shared by every route; throws on bad origins.
    const guard = requestGuard({ host, corsOrigins: options.corsOrigins });
    const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
    if (options.maxCommitWaitMillis !== undefined && !(options.maxCommitWaitMillis > 0 && Number.isFinite(options.maxCommitWaitMillis))) {
      throw new RangeError(`Expected \`maxCommitWaitMillis\` to be a number > 0, got \`${options.maxCommitWaitMillis}\``);
    }
    // One budget for the OTLP bodies in flight, whichever receiver (HTTP, gRPC) holds them.
    const inFlight = new ByteBudget(options.maxInFlightBytes ?? 128 * 1024 * 1024);
    // Built before the database opens, so that a bad URL or option fails fast.
    const forwarder = options.forwardUrl
      ? new OtlpForwarder({ ...options.forwardOptions, url: options.forwardUrl, logger })
      : null;
    const sqlTimeoutMillis = options.sqlTimeoutMillis ?? DEFAULT_SQL_TIMEOUT_MILLIS;
    if (!(sqlTimeoutMillis > 0 && Number.isFinite(sqlTimeoutMillis))) {
      throw new RangeError(`Expected \`sqlTimeoutMillis\` to be a number > 0, got \`${options.sqlTimeoutMillis}\``);
    }
    // Built before the database opens, so that a bad option fails fast.
    const sqlGate = new QueryGate({ maxRunning: options.sqlMaxRunning ?? 2 });
    const database = await Database.open({ path: options.dbPath ?? './agl.duckdb', sqlAllowFiles: options.sqlAllowFiles ?? null });
    let store: DuckDBLightningStore | null = null;
    const sink = await DuckDBSpanSink.open(database, {
      maxQueuedSpans: options.maxQueuedSpans,
      // Spans of an attempt are its heartbeat (and the first moves it to running).
      onCommitted: (rows) => store?.recordSpanActivity(rows.attempts),
      // Spans of the store's attempts that carry no sequence id get the attempt's next one.
      beforeWrite: (rows) => store?.assignSpanSequenceIds(rows),
    });
    store = await DuckDBLightningStore.open(database, {
      spanSink: sink,
      watchdogIntervalMillis: options.watchdogIntervalMillis,
    });
    const maxMemoryBytes = options.maxMemoryBytes === undefined ? 640 * 1024 * 1024 : options.maxMemoryBytes;
    const memoryLimit = maxMemoryBytes === null ? undefined : new MemoryLimit({ limitBytes: maxMemoryBytes });
    const ingestor = new TraceIngestor({
      sink,
      maxCommitWaitMillis: options.maxCommitWaitMillis,
      memoryLimit,
      onStorageError: (error) => logger.error('Storing spans failed', error),
    });
    // Logs and metrics: their own sink (other tables, other connections), the trace decoder threads.
    const recordSink = await DuckDBRecordSink.open(database, { maxQueuedRecords: options.maxQueuedSpans });
    const [logsIngestor, metricsIngestor] = (['logs', 'metrics'] as const).map(
      (signal) =>
        new RecordIngestor({
          signal,
          sink: recordSink,
          decoders: ingestor.decoders,
          maxCommitWaitMillis: options.maxCommitWaitMillis,
          memoryLimit,
          onStorageError: (error) => logger.error(`Storing ${signal} failed`, error),
        }),
    );
    // Requests taken before the decoder threads have loaded would wait (and expire) behind them.
    await ingestor.ready();
    const gatewayRecorder = new GatewayRecorder({ ingestor, forwarder, logger });
    const gateway = new LlmGateway({ ...options.gateway, store, recorder: gatewayRecorder });

    const router = new Router()
      .on('GET', '/v1/agl/health', ({ response }) => sendJson(response, 200, { status: 'ok' }))
      .on(
        'POST',
        '/v1/traces',
        otlpTracesHandler({
          ingestor,
          maxBodyBytes,
          budget: inFlight,
          forwarder,
        }),
      )
      .on('POST', '/v1/logs', otlpLogsHandler({ ingestor: logsIngestor!, maxBodyBytes, budget: inFlight, forwarder }))
      .on('POST', '/v1/metrics', otlpMetricsHandler({ ingestor: metricsIngestor!, maxBodyBytes, budget: inFlight, forwarder }))
      .on('GET', '/v1/agl/forwarder', forwarderStatsHandler(forwarder))
      .on('POST', '/v1/agl/sql', sqlHandler(database, { gate: sqlGate, timeoutMillis: sqlTimeoutMillis }));
    registerRolloutRoutes(router, store);
    registerResourcesRoutes(router, store);
    registerWorkerRoutes(router, store);
    registerSpanRoutes(router, store);
    registerApoRoundsRoutes(router, database, store);
    registerExportRoutes(router, database, sqlGate);
    registerGatewayRoutes(router, gateway, { maxBodyBytes });
    const dashboard = registerDashboardRoutes(router, database);

    const token = options.token ? Buffer.from(options.token) : null;
    const server = createServer(async (request, response) => {
      let isOtlpExport = false;
      try {
        const url = new URL(request.url ?? '/', 'http://collector');
        isOtlpExport = request.method === 'POST' && OTLP_EXPORT_PATHS.has(url.pathname);
        if (guard(request, response, url) === 'answered') return;
        const page = dashboard.pageRoute(request.method ?? 'GET', url.pathname);
        const { handler, params } = page ? { handler: page, params: {} } : router.resolve(request.method ?? 'GET', url.pathname);
        if (token && !page && url.pathname !== '/v1/agl/health' && !hasBearerToken(request.headers.authorization, token)) {
          request.resume();
          throw new UnauthorizedError('Missing or wrong `Authorization: Bearer <token>`');
        }
        await handler({ request, response, url, params });
      } catch (error) {
        if (!(error instanceof AglError)) logger.error(`${request.method} ${request.url} failed`, error);
        if (isOtlpExport) sendOtlpError(request, response, error);
        else sendError(response, error);
      }
    });
    server.keepAliveTimeout = 65_000;
    // A start that fails (a port is taken) releases what was opened so far, so the process can exit.
    const release = async (): Promise<void> => {
      dashboard.close();
      gateway.close();
      await ingestor.close();
      await sink.close();
      await recordSink.close();
      await store.close();
      await database.close();
      await forwarder?.close(0);
    };
    try {
      await listen(server, port, host);
    } catch (error) {
      await release();
      throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError('http', host, port, { cause: error }) : error;
    }
    let grpc: OtlpGrpcReceiver | null = null;
    if (grpcPort !== null) {
      try {
        // grpc-js reports a taken port only in its message text: find out first, from the system's own error code.
        if (grpcPort !== 0) await assertPortFree(host, grpcPort);
        grpc = await OtlpGrpcReceiver.start({
          ingestor,
          logsIngestor,
          metricsIngestor,
          host,
          port: grpcPort,
          maxBodyBytes,
          budget: inFlight,
          isAuthorized: token ? (authorization) => hasBearerToken(authorization, token) : undefined,
          forwarder,
          logger,
        });
      } catch (error) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await release();
        throw error;
      }
    }
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new Collector(
      `http://${shownHost}:${address.port}`,
      database,
      store,
      server,
      grpc,
      sink,
      ingestor,
      logger,
      forwarder,
      options.forwardCloseTimeoutMillis ?? 5000,
      dashboard,
      gateway,
      gatewayRecorder,
      recordSink,
    );
  }

  /**
   * Stops taking requests, lets the ones under way finish, makes every accepted span durable and
   * closes the database. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#dashboard.close();
      this.#server.closeIdleConnections();
      // server.close() closes only the connections idle at that moment: a keep-alive connection
      // whose request was under way would stay open until the client drops it (an exporter keeps
      // it for up to keepAliveTimeout). Close each one as soon as its answer is out.
      const idle = setInterval(() => this.#server.closeIdleConnections(), 20);
      // Requests under way get time to finish; a client that keeps a connection open does not.
      const force = setTimeout(() => this.#server.closeAllConnections(), 10_000);
      // Calls under way are answered once durable, like HTTP requests under way.
      await Promise.all([closed, this.#grpc?.close(10_000)]);
      clearInterval(idle);
      clearTimeout(force);
      // The gateway's last calls are answered; their spans go into the ingest path before it closes.
      await this.gatewayRecorder.close();
      this.gateway.close();
      // Every accepted request is queued by now; the local data does not wait for the forwards.
      const forwarded = this.#forwarder?.close(this.#forwardCloseTimeoutMillis);
      await this.#ingestor.close();
      await this.#sink.close();
      await this.#recordSink.close();
      await this.store.close();
      await this.database.close();
      await forwarded;
      this.#logger.debug('Collector closed');
    })();
    return this.#closing;
  }
}

/**
 * Whether an `Authorization` header carries `Bearer <token>`. The scheme is case-insensitive
 * (RFC 9110 §11.1); the token is compared in constant time.
 */
function hasBearerToken(header: string | undefined, token: Buffer): boolean {
  const match = /^bearer +(.+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]);
  return given.length === token.length && timingSafeEqual(given, token);
}

/** Listens on `port`; rejects with the system's error (e.g. `EADDRINUSE`). */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Throws {@link PortInUseError} when `port` on `host` is taken (binds it for a moment, then lets it go). */
async function assertPortFree(host: string, port: number): Promise<void> {
  const probe = createNetServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ port, host, exclusive: true }, () => resolve());
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('grpc', host, port, { cause: error });
    throw error;
  } finally {
    if (probe.listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
