import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Collector, PortInUseError } from '../../collector/index.ts';
import { tracesUrl } from '../forward/index.ts';
import { createLogger, parseLogLevel } from '../logging/index.ts';
import { UsageError } from './sql-command.ts';

export const SERVE_USAGE = `Usage: agl serve [--db agl.duckdb] [--port 4318] [--grpc-port 4317 | --no-grpc] [--health-port N] [--host 127.0.0.1]
                 [--token T] [--log-level info] [--cors-origin ORIGIN]...
                 [--forward URL [--forward-header 'name=value']...]
                 [--model-upstream URL [--model-upstream-key-env NAME] [--model-forward-client-key]]

Runs the collector: OTLP/HTTP on /v1/traces, the store API on /v1/agl/*, read-only SQL on
/v1/agl/sql, all on one port, writing to one DuckDB file.
  --db PATH         the DuckDB file (default ./agl.duckdb, env AGL_DB)
  --port N          the HTTP port (default 4318)
  --grpc-port N     the OTLP/gRPC port, same host (default 4317; a free port when --port is 0);
                    0 picks a free one
  --no-grpc         serve no OTLP/gRPC
  --health-port N   also serve GET /v1/agl/health alone on port N, same host (0 picks a free one),
                    from a thread of its own that answers at once under any load (503 once the
                    collector's event loop has not turned for 5 s): for probes that open a new
                    connection per check, which under a flood would wait their turn on --port
  --host ADDR       the interface to bind (default 127.0.0.1)
  --token T         require Authorization: Bearer T on OTLP and the API (env AGL_TOKEN)
  --max-body-mib N  the largest OTLP body after decompression (default 20)
  --sql-timeout S   cancel a user SQL query (POST /v1/agl/sql, export) after S seconds (default 30)
  --sql-allow-files DIR  let user SQL read files in DIR (read_csv, read_parquet, glob...);
                    by default it reads no file outside the database, and never writes one
  --max-commit-wait-ms N  the longest an OTLP request may wait for its commit before it is
                    answered 503 / UNAVAILABLE with nothing stored (default 2000)
  --max-memory-mib N  the collector's memory budget: DuckDB may use a third (beyond it, it spills
                    to <db>.tmp), and while the process is above N MiB new OTLP requests get
                    503 + Retry-After (0 turns both off; default 640)
  --cors-origin O   a browser origin (scheme://host[:port]) allowed to call the collector besides
                    its own, with CORS headers (repeatable); pages of any other origin are refused
  --log-level L     debug, info, warn, error or silent (default info)
  --forward URL     also forward every accepted OTLP request, unchanged, to this OTLP/HTTP
                    endpoint (a base like http://jaeger:4318 or the full .../v1/traces URL;
                    env AGL_FORWARD_URL); counters on GET /v1/agl/forwarder
  --forward-header H  a header sent with every forward, 'name=value' (repeatable)
  --model-upstream URL  the OpenAI-compatible model the LLM gateway calls (a base URL such as
                    http://127.0.0.1:8000/v1; env OPENAI_BASE_URL). The gateway serves
                    /v1/agl/gateway/v1 and, recording each call for one attempt,
                    /v1/agl/gateway/rollouts/{rollout_id}/attempts/{attempt_id}/v1
  --model-upstream-key-env NAME  the environment variable holding the upstream's API key
                    (default OPENAI_API_KEY)
  --model-forward-client-key  send the client's own Authorization header upstream instead`;

/** `agl serve`: runs until SIGINT or SIGTERM, then shuts down gracefully. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      port: { type: 'string', default: '4318' },
      'grpc-port': { type: 'string' },
      'no-grpc': { type: 'boolean', default: false },
      'health-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      'max-body-mib': { type: 'string', default: '20' },
      'sql-timeout': { type: 'string', default: '30' },
      'sql-allow-files': { type: 'string' },
      'max-commit-wait-ms': { type: 'string', default: '2000' },
      'max-memory-mib': { type: 'string', default: '640' },
      'log-level': { type: 'string', default: 'info' },
      forward: { type: 'string' },
      'forward-header': { type: 'string', multiple: true },
      'cors-origin': { type: 'string', multiple: true },
      'model-upstream': { type: 'string' },
      'model-upstream-key-env': { type: 'string' },
      'model-forward-client-key': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  // Digits only: Number('') is 0 (a random port) and Number('1e3') is 1000, neither of which was meant.
  const port = /^\d{1,5}$/.test(values.port ?? '') ? Number(values.port) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be 0 to 65535, got \`${values.port}\``);
  if (values['no-grpc'] && values['grpc-port'] !== undefined) throw new UsageError('--grpc-port and --no-grpc exclude each other');
  // With --port 0 (tests, several collectors on one machine) gRPC takes a free port too, unless told.
  const grpcPortText = values['grpc-port'] ?? (port === 0 ? '0' : '4317');
  const grpcPort = /^\d{1,5}$/.test(grpcPortText) ? Number(grpcPortText) : Number.NaN;
  if (!(grpcPort >= 0 && grpcPort <= 65535)) throw new UsageError(`--grpc-port must be 0 to 65535, got \`${grpcPortText}\``);
  const healthPortText = values['health-port'];
  const healthPort = healthPortText === undefined ? null : /^\d{1,5}$/.test(healthPortText) ? Number(healthPortText) : Number.NaN;
  if (healthPort !== null && !(healthPort >= 0 && healthPort <= 65535)) {
    throw new UsageError(`--health-port must be 0 to 65535, got \`${healthPortText}\``);
  }
  const maxBodyMib = Number(values['max-body-mib']);
  if (!(maxBodyMib > 0)) throw new UsageError(`--max-body-mib must be a positive number, got \`${values['max-body-mib']}\``);
  const sqlTimeoutSeconds = Number(values['sql-timeout']);
  if (!(sqlTimeoutSeconds > 0 && Number.isFinite(sqlTimeoutSeconds))) {
    throw new UsageError(`--sql-timeout must be a positive number of seconds, got \`${values['sql-timeout']}\``);
  }
  const sqlAllowFiles = values['sql-allow-files'];
  if (sqlAllowFiles !== undefined && !existsSync(sqlAllowFiles)) throw new UsageError(`--sql-allow-files: no such directory \`${sqlAllowFiles}\``);
  const maxCommitWaitMillis = /^\d+$/.test(values['max-commit-wait-ms'] ?? '') ? Number(values['max-commit-wait-ms']) : 0;
  if (!(maxCommitWaitMillis > 0)) {
    throw new UsageError(`--max-commit-wait-ms must be a whole number of milliseconds > 0, got \`${values['max-commit-wait-ms']}\``);
  }
  const maxMemoryMib = /^\d+$/.test(values['max-memory-mib'] ?? '') ? Number(values['max-memory-mib']) : Number.NaN;
  if (!(maxMemoryMib >= 0)) throw new UsageError(`--max-memory-mib must be a whole number of MiB (0: no limit), got \`${values['max-memory-mib']}\``);
  let logger;
  try {
    logger = createLogger(parseLogLevel(values['log-level'] ?? 'info'));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const forwardUrl = values.forward ?? (process.env.AGL_FORWARD_URL || undefined);
  const forwardHeaders: Record<string, string> = {};
  for (const header of values['forward-header'] ?? []) {
    const at = header.indexOf('=');
    if (at < 1) throw new UsageError(`--forward-header must be 'name=value', got \`${header}\``);
    forwardHeaders[header.slice(0, at).trim()] = header.slice(at + 1).trim();
  }
  if (!forwardUrl && Object.keys(forwardHeaders).length > 0) throw new UsageError('--forward-header needs --forward URL');
  if (forwardUrl) {
    try {
      tracesUrl(forwardUrl);
    } catch (error) {
      throw new UsageError(`--forward: ${(error as Error).message}`);
    }
  }
  for (const origin of values['cors-origin'] ?? []) {
    if (!/^https?:\/\/[^/?#\s]+\/?$/i.test(origin)) {
      throw new UsageError(`--cors-origin must be an origin such as http://localhost:5173 (scheme://host[:port]), got \`${origin}\``);
    }
  }
  const modelUpstream = values['model-upstream'] ?? (process.env.OPENAI_BASE_URL || null);
  if (modelUpstream !== null && !/^https?:\/\/[^/?#\s]+/i.test(modelUpstream)) {
    throw new UsageError(`--model-upstream must be an http(s) base URL such as http://127.0.0.1:8000/v1, got \`${modelUpstream}\``);
  }
  const keyEnv = values['model-upstream-key-env'] ?? 'OPENAI_API_KEY';
  if (values['model-upstream-key-env'] !== undefined && !process.env[keyEnv]) {
    throw new UsageError(`--model-upstream-key-env: the environment variable ${keyEnv} is not set`);
  }
  const dbPath = values.db ?? process.env.AGL_DB ?? './agl.duckdb';
  let collector: Collector;
  try {
    collector = await Collector.start({
      dbPath,
      port,
      grpcPort: values['no-grpc'] ? null : grpcPort,
      healthPort,
      host: values.host,
      token: values.token ?? process.env.AGL_TOKEN,
      maxBodyBytes: Math.floor(maxBodyMib * 1024 * 1024),
      sqlTimeoutMillis: Math.round(sqlTimeoutSeconds * 1000),
      sqlAllowFiles: sqlAllowFiles ?? null,
      maxCommitWaitMillis,
      maxMemoryBytes: maxMemoryMib === 0 ? null : maxMemoryMib * 1024 * 1024,
      logger,
      forwardUrl,
      forwardOptions: { headers: forwardHeaders },
      corsOrigins: values['cors-origin'] ?? [],
      gateway: {
        upstreamUrl: modelUpstream,
        upstreamApiKey: process.env[keyEnv] || null,
        forwardClientKey: values['model-forward-client-key'],
      },
    });
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error;
    const hint = {
      http: 'choose another port with --port N (--port 0 picks a free one, and a free gRPC port with it)',
      grpc: 'choose another gRPC port with --grpc-port N, let the system pick one with --grpc-port 0, or serve no gRPC with --no-grpc',
      health: 'choose another health port with --health-port N, or let the system pick one with --health-port 0',
    }[error.listener];
    process.stderr.write(`agl serve: ${error.message}: another collector may be running there; ${hint}\n`);
    return 1;
  }
  // The start-up line: scripts and tests read the URL from it.
  process.stdout.write(`agl collector listening on ${collector.url} (database ${dbPath})\n`);
  // A line of its own, so that the first one keeps its format for the scripts that parse it.
  if (collector.grpcUrl) process.stdout.write(`agl collector OTLP/gRPC listening on ${collector.grpcUrl}\n`);
  if (collector.healthUrl) process.stdout.write(`agl collector health check on ${collector.healthUrl}/v1/agl/health\n`);
  if (collector.forwarder) logger.info(`Forwarding accepted OTLP requests to ${collector.forwarder.url}`);
  if (collector.gateway.upstreamUrl) logger.info(`LLM gateway on ${collector.url}/v1/agl/gateway/v1 calls ${collector.gateway.upstreamUrl}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal} received: finishing requests under way, flushing and closing the database`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await collector.close();
  logger.info('Collector stopped');
  return 0;
}
