import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { Collector } from '../../collector/index.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { assertOfficialSpansStored, sendOfficialSpans } from '../helpers/official-spans.ts';
import type { OfficialSpanIds } from '../helpers/official-spans.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { exportRaw, rawTraceClient } from './raw-client.ts';

/**
 * Spans made by the official OpenTelemetry JS SDK and sent by its official OTLP/gRPC exporter
 * (plain and gzip), read back from DuckDB field by field; and `agl serve` announcing its gRPC port.
 */
async function sendWithGrpcExporter(collector: Collector, tag: string, compression: CompressionAlgorithm): Promise<OfficialSpanIds> {
  const exporter = new OTLPTraceExporter({ url: collector.grpcUrl!, compression, metadata: undefined });
  return sendOfficialSpans(exporter, tag);
}

describe('official OTLP/gRPC exporter → collector → DuckDB', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ grpcPort: 0 });
  });
  after(() => collector.close());

  for (const compression of [CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP]) {
    it(`stores ids, nanosecond times, attributes, events, links, status and resource exactly (${compression})`, async () => {
      const tag = `grpc-${compression}`;
      const ids = await sendWithGrpcExporter(collector, tag, compression);
      const rows = await queryRows(
        collector,
        `SELECT *, start_time_unix_nano::VARCHAR AS start_ns, end_time_unix_nano::VARCHAR AS end_ns
         FROM spans WHERE service_name = 'svc-${tag}' ORDER BY start_time_unix_nano`,
      );
      assertOfficialSpansStored(rows, ids, tag);
    });
  }
});

describe('agl serve: OTLP/gRPC', () => {
  const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));

  it('prints the gRPC address on its second line, serves it, and shuts down on SIGTERM', async () => {
    const dir = tempDir('agl-grpc-cli-');
    const env = { ...process.env };
    for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB', 'AGL_FORWARD_URL']) delete env[name];
    const child = spawn(process.execPath, [AGL, 'serve', '--db', join(dir, 'g.duckdb'), '--port', '0', '--log-level', 'warn'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up lines: ${lines.join('\n')}`)), 15_000);
        child.once('exit', (code) => reject(new Error(`agl serve exited with ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          if (lines.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      assert.match(lines[0], /^agl collector listening on http:\/\/127\.0\.0\.1:\d+ \(database .+\)$/);
      const match = /^agl collector OTLP\/gRPC listening on (http:\/\/127\.0\.0\.1:([1-9]\d*))$/.exec(lines[1]);
      assert.ok(match, `second line: ${lines[1]}`);
      // --port 0 without --grpc-port: a free port, not 4317 (parallel collectors must not collide).
      assert.notEqual(match[2], '4317');
      const client = rawTraceClient(match[1]);
      try {
        const result = await exportRaw(client, protobufBody([spanSpec()]));
        assert.ok(result.ok, result.ok ? '' : result.error.message);
      } finally {
        client.close();
      }
      child.removeAllListeners('exit');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses --grpc-port together with --no-grpc, and a bad --grpc-port', async () => {
    for (const args of [['--grpc-port', '4317', '--no-grpc'], ['--grpc-port', '70000'], ['--grpc-port', '']]) {
      const child = spawn(process.execPath, [AGL, 'serve', '--db', ':memory:', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      assert.notEqual(code, 0, `${args.join(' ')} was accepted`);
      assert.match(stderr, /grpc/i);
    }
  });
});
