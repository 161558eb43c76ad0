import { checkGatewayRecorderTuning } from '../src/gateway/index.ts';
import type { GatewayRecorderOptions, LlmGatewayOptions } from '../src/gateway/index.ts';
import type { OtlpForwarderOptions } from '../src/forward/index.ts';
import { MemoryLimit } from '../src/ingest/index.ts';
import type { Logger } from '../src/logging/index.ts';
import { DEFAULT_SQL_TIMEOUT_MILLIS } from '../src/storage/index.ts';

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
  /**
   * A port (same host) that serves only `GET /v1/agl/health`, from a thread of its own, for probes
   * that open a new connection for every check: there they are not queued behind a flood of new
   * connections to {@link port}. 503 once the collector's event loop has not turned for 5 s. 0 picks
   * a free one; `null` serves none.
   * @default null
   */
  healthPort?: number | null;
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
   * The collector's memory budget. DuckDB gets a third of it (at least 128 MiB) as its
   * `memory_limit`: beyond it, spans appended but not yet checkpointed and the working memory of
   * queries spill to `<db>.tmp`, and a query that can't spill is refused (413). Above the whole of
   * it (RSS), new OTLP requests (HTTP and gRPC) beyond a small working set get 503 with
   * `Retry-After` before their bodies are read, and what was taken is still stored (see
   * `MemoryLimit`). `null` turns both off.
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
  /**
   * How the gateway's calls are batched into the store; see {@link GatewayRecorderOptions}.
   * `POST /v1/agl/gateway/flush` stores what is waiting at once.
   * @default batches of up to 512 calls, 50 ms apart
   */
  gatewayRecording?: Pick<GatewayRecorderOptions, 'batchDelayMillis' | 'maxBatchCalls' | 'maxRetryMillis'>;
}

/** {@link CollectorOptions} checked, with their defaults. */
export interface CollectorSettings {
  dbPath: string;
  host: string;
  port: number;
  grpcPort: number | null;
  healthPort: number | null;
  maxBodyBytes: number;
  maxInFlightBytes: number;
  /** Built from {@link CollectorOptions.maxMemoryBytes}; `null` when turned off. */
  memoryLimit: MemoryLimit | null;
  /** DuckDB's share of {@link CollectorOptions.maxMemoryBytes}; `null` when that is turned off. */
  databaseMemoryBytes: number | null;
  sqlTimeoutMillis: number;
}

/** Checks the options that a collector could only discover to be wrong later, and resolves their defaults. */
export function resolveCollectorSettings(options: CollectorOptions): CollectorSettings {
  const port = options.port ?? 4318;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected \`port\` to be an integer from 0 to 65535, got \`${port}\``);
  }
  const grpcPort = options.grpcPort ?? null;
  if (grpcPort !== null && (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535)) {
    throw new RangeError(`Expected \`grpcPort\` to be an integer from 0 to 65535 or null, got \`${grpcPort}\``);
  }
  const healthPort = options.healthPort ?? null;
  if (healthPort !== null && (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535)) {
    throw new RangeError(`Expected \`healthPort\` to be an integer from 0 to 65535 or null, got \`${healthPort}\``);
  }
  if (options.maxCommitWaitMillis !== undefined && !(options.maxCommitWaitMillis > 0 && Number.isFinite(options.maxCommitWaitMillis))) {
    throw new RangeError(`Expected \`maxCommitWaitMillis\` to be a number > 0, got \`${options.maxCommitWaitMillis}\``);
  }
  const sqlTimeoutMillis = options.sqlTimeoutMillis ?? DEFAULT_SQL_TIMEOUT_MILLIS;
  if (!(sqlTimeoutMillis > 0 && Number.isFinite(sqlTimeoutMillis))) {
    throw new RangeError(`Expected \`sqlTimeoutMillis\` to be a number > 0, got \`${options.sqlTimeoutMillis}\``);
  }
  checkGatewayRecorderTuning(options.gatewayRecording ?? {});
  const maxMemoryBytes = options.maxMemoryBytes === undefined ? 640 * 1024 * 1024 : options.maxMemoryBytes;
  return {
    dbPath: options.dbPath ?? './agl.duckdb',
    host: options.host ?? '127.0.0.1',
    port,
    grpcPort,
    healthPort,
    maxBodyBytes: options.maxBodyBytes ?? 20 * 1024 * 1024,
    maxInFlightBytes: options.maxInFlightBytes ?? 128 * 1024 * 1024,
    // One memory limit for every signal: it is the process's memory.
    memoryLimit: maxMemoryBytes === null ? null : new MemoryLimit({ limitBytes: maxMemoryBytes }),
    // A third for DuckDB (at least 128 MiB, what its checkpoints need to run): an idle collector
    // already holds ~240 MiB (Node, the decoder thread, DuckDB's code), and a flood adds request
    // bodies, decoded rows and allocator caches on top of what DuckDB holds. At 5× overload a half
    // peaked at 916–959 MiB, a third at 841–868 (bench:ingest --quick, same machine, alternated).
    databaseMemoryBytes: maxMemoryBytes === null ? null : Math.max(Math.floor(maxMemoryBytes / 3), 128 * 1024 * 1024),
    sqlTimeoutMillis,
  };
}
