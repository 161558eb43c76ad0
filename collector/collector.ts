import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtlpForwarder } from '../src/forward/index.ts';
import type { GatewayRecorder, LlmGateway } from '../src/gateway/index.ts';
import { createLogger } from '../src/logging/index.ts';
import type { Logger } from '../src/logging/index.ts';
import { QueryGate } from '../src/storage/index.ts';
import type { Database } from '../src/storage/index.ts';
import type { DuckDBLightningStore } from '../src/store/index.ts';
import { closeCollectorStorage, openCollectorCore } from './collector-core.ts';
import type { CollectorCore } from './collector-core.ts';
import { resolveCollectorSettings } from './collector-options.ts';
import type { CollectorOptions, CollectorSettings } from './collector-options.ts';
import { OtlpGrpcReceiver } from './grpc/index.ts';
import { HealthListener } from './health/health-listener.ts';
import { createHttpApp } from './http/app.ts';
import { hasBearerToken } from './http/bearer-auth.ts';
import { ByteBudget } from './http/byte-budget.ts';
import { requestGuardMiddleware } from './http/request-guard.ts';
import { assertPortFree, listen, listenerUrl } from './listen.ts';
import { PortInUseError } from './port-in-use-error.ts';
import type { DashboardRoutes } from './routes/dashboard.ts';

export type { CollectorOptions } from './collector-options.ts';

/** What {@link Collector} is made of, once started. */
interface CollectorParts {
  url: string;
  core: CollectorCore;
  server: Server;
  /** The health port (`healthPort`), or `null`. */
  health: HealthListener | null;
  grpc: OtlpGrpcReceiver | null;
  logger: Logger;
  forwarder: OtlpForwarder | null;
  forwardCloseTimeoutMillis: number;
  dashboard: DashboardRoutes;
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
  readonly #parts: CollectorParts;
  #closing: Promise<void> | null = null;

  private constructor(parts: CollectorParts) {
    this.#parts = parts;
    this.url = parts.url;
    this.database = parts.core.database;
    this.store = parts.core.store;
    this.gateway = parts.core.gateway;
    this.gatewayRecorder = parts.core.gatewayRecorder;
  }

  /** The OTLP/gRPC address for exporters, e.g. `http://127.0.0.1:4317`, or `null` when gRPC is off. */
  get grpcUrl(): string | null {
    return this.#parts.grpc?.url ?? null;
  }

  /** The health port's base URL (`GET {healthUrl}/v1/agl/health`), or `null` when there is none. */
  get healthUrl(): string | null {
    return this.#parts.health?.url ?? null;
  }

  /** The forwarder when `forwardUrl` was given, else `null`. */
  get forwarder(): OtlpForwarder | null {
    return this.#parts.forwarder;
  }

  /** Opens the database and starts listening. */
  static async start(options: CollectorOptions = {}): Promise<Collector> {
    const logger = options.logger ?? createLogger('info');
    const settings = resolveCollectorSettings(options);
    // Built before the database opens, so that a bad origin, limit, URL or option fails fast.
    const guard = requestGuardMiddleware({ host: settings.host, corsOrigins: options.corsOrigins });
    // One budget for the OTLP bodies in flight, whichever receiver (HTTP, gRPC) holds them.
    const budget = new ByteBudget(settings.maxInFlightBytes);
    const forwarder = options.forwardUrl ? new OtlpForwarder({ ...options.forwardOptions, url: options.forwardUrl, logger }) : null;
    const sqlGate = new QueryGate({ maxRunning: options.sqlMaxRunning ?? 2 });
    const core = await openCollectorCore(options, settings, forwarder, logger);
    const token = options.token || null;
    const { app, dashboard } = createHttpApp({
      ...core,
      guard,
      token,
      logger,
      forwarder,
      maxBodyBytes: settings.maxBodyBytes,
      budget,
      sqlGate,
      sqlTimeoutMillis: settings.sqlTimeoutMillis,
    });
    const server = createServer(app);
    server.keepAliveTimeout = 65_000;
    // A start that fails (a port is taken) releases what was opened so far, so the process can exit.
    const release = async (): Promise<void> => {
      dashboard.close();
      core.gateway.close();
      await closeCollectorStorage(core);
      await forwarder?.close(0);
    };
    let grpc: OtlpGrpcReceiver | null;
    let health: HealthListener | null = null;
    try {
      await listenHttp(server, settings);
      try {
        if (settings.healthPort !== null) {
          health = await HealthListener.start({ host: settings.host, port: settings.healthPort, corsOrigins: options.corsOrigins });
        }
        grpc = await startGrpc(settings, core, { budget, forwarder, logger, token });
      } catch (error) {
        await Promise.all([new Promise((resolve) => server.close(resolve)), health?.close()]);
        throw error;
      }
    } catch (error) {
      await release();
      throw error;
    }
    const address = server.address() as AddressInfo;
    const url = listenerUrl(address.address, address.port);
    const forwardCloseTimeoutMillis = options.forwardCloseTimeoutMillis ?? 5000;
    return new Collector({ url, core, server, health, grpc, logger, forwarder, forwardCloseTimeoutMillis, dashboard });
  }

  /**
   * Stops taking requests, lets the ones under way finish, makes every accepted span durable and
   * closes the database. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const { server, health, grpc, core, forwarder, dashboard } = this.#parts;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const healthClosed = health?.close();
      dashboard.close();
      server.closeIdleConnections();
      // server.close() closes only the connections idle at that moment: a keep-alive connection
      // whose request was under way would stay open until the client drops it (an exporter keeps
      // it for up to keepAliveTimeout). Close each one as soon as its answer is out.
      const idle = setInterval(() => server.closeIdleConnections(), 20);
      // Requests under way get time to finish; a client that keeps a connection open does not.
      const force = setTimeout(() => server.closeAllConnections(), 10_000);
      // Calls under way are answered once durable, like HTTP requests under way.
      await Promise.all([closed, grpc?.close(10_000), healthClosed]);
      clearInterval(idle);
      clearTimeout(force);
      // The gateway's last calls are answered; their spans go into the ingest path before it closes.
      await this.gatewayRecorder.close();
      this.gateway.close();
      // Every accepted request is queued by now; the local data does not wait for the forwards.
      const forwarded = forwarder?.close(this.#parts.forwardCloseTimeoutMillis);
      await closeCollectorStorage(core);
      await forwarded;
      this.#parts.logger.debug('Collector closed');
    })();
    return this.#closing;
  }
}

/** Listens for HTTP; a taken port is a {@link PortInUseError}. */
async function listenHttp(server: Server, settings: CollectorSettings): Promise<void> {
  try {
    await listen(server, settings.port, settings.host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('http', settings.host, settings.port, { cause: error });
    throw error;
  }
}

/** Starts the OTLP/gRPC receiver when a gRPC port is set (same host, same ingestors, budget and token). */
async function startGrpc(
  settings: CollectorSettings,
  core: CollectorCore,
  shared: { budget: ByteBudget; forwarder: OtlpForwarder | null; logger: Logger; token: string | null },
): Promise<OtlpGrpcReceiver | null> {
  if (settings.grpcPort === null) return null;
  // grpc-js reports a taken port only in its message text: find out first, from the system's own error code.
  if (settings.grpcPort !== 0) await assertPortFree(settings.host, settings.grpcPort);
  const token = shared.token === null ? null : Buffer.from(shared.token);
  return OtlpGrpcReceiver.start({
    ingestor: core.ingestors.traces,
    logsIngestor: core.ingestors.logs,
    metricsIngestor: core.ingestors.metrics,
    host: settings.host,
    port: settings.grpcPort,
    maxBodyBytes: settings.maxBodyBytes,
    budget: shared.budget,
    isAuthorized: token ? (authorization) => hasBearerToken(authorization, token) : undefined,
    forwarder: shared.forwarder,
    logger: shared.logger,
  });
}
