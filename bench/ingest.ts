/**
 * Ingest benchmark: OTLP/protobuf spans/s end to end over HTTP into a durable DuckDB file, against
 * the in-process ceiling (decode + map + append + commit, no HTTP) measured in the same run.
 *
 *   npm run bench:ingest              1,048,576 spans in batches of 512, 8 concurrent senders
 *   npm run bench:ingest -- --quick   131,072 spans
 *
 * The collector runs as its own process (`agl serve`); its peak RSS is read from /proc (VmHWM).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TraceIngestor } from '../src/ingest/index.ts';
import { decodeTracesProtobuf } from '../src/otlp/index.ts';
import { mapSpan } from '../src/semconv/index.ts';
import { Database, DuckDBSpanSink, runReadOnlyQuery } from '../src/storage/index.ts';
import { buildPayloads } from './ingest-payloads.ts';
import { benchDir, printResult } from './report.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    spans: { type: 'string' },
    senders: { type: 'string', default: '8' },
    'batch-size': { type: 'string', default: '512' },
  },
});
const batchSize = Number(values['batch-size']);
const totalSpans = Number(values.spans ?? (values.quick ? 131_072 : 1_048_576));
const senders = Number(values.senders);
const requests = Math.ceil(totalSpans / batchSize);
const dir = benchDir('ingest');

console.log(`Building ${requests} OTLP/protobuf requests of ${batchSize} spans (~10 attributes, 1 event each)...`);
const payloads = buildPayloads(requests, batchSize);
const bytes = payloads.reduce((sum, payload) => sum + payload.byteLength, 0);
console.log(`${(bytes / 1024 / 1024).toFixed(0)} MiB of request bodies; ${senders} concurrent senders`);

// 1. Decode + map only: the CPU cost before storage.
{
  const started = performance.now();
  let spans = 0;
  for (const payload of payloads) {
    const decoded = decodeTracesProtobuf(payload);
    for (const span of decoded.spans) mapSpan(span);
    spans += decoded.spans.length;
  }
  var decodeRate = spans / ((performance.now() - started) / 1000);
}

// 2. The in-process ceiling: the collector's own pipeline (decode, map, appender, group commit)
//    with the same concurrency, no HTTP.
{
  const database = await Database.open({ path: join(dir, 'ceiling.duckdb') });
  const sink = await DuckDBSpanSink.open(database);
  const ingestor = new TraceIngestor({ sink });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < payloads.length) {
        const result = await ingestor.ingest(payloads[next++], 'protobuf');
        if (result.kind !== 'accepted') throw new Error(`ceiling: unexpected ${JSON.stringify(result)}`);
      }
    }),
  );
  var ceilingRate = (requests * batchSize) / ((performance.now() - started) / 1000);
  const stored = await runReadOnlyQuery(database, 'SELECT count(*) FROM spans');
  if (stored.rows[0][0] !== requests * batchSize) throw new Error(`ceiling stored ${stored.rows[0][0]} spans`);
  await ingestor.close();
  await sink.close();
  await database.close();
}

// 3. End to end: `agl serve` in its own process, senders over HTTP keep-alive.
const agl = fileURLToPath(new URL('../bin/agl.js', import.meta.url));
const server = spawn(process.execPath, [agl, 'serve', '--db', join(dir, 'e2e.duckdb'), '--port', '0', '--log-level', 'warn'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`agl serve exited with ${code}`)));
  createInterface({ input: server.stdout! }).on('line', (line) => {
    const match = /listening on (\S+)/.exec(line);
    if (match) resolve(match[1]);
  });
});
const target = new URL('/v1/traces', url);
const agent = new Agent({ keepAlive: true, maxSockets: senders });
let retries = 0;

function post(body: Uint8Array): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, retryAfter: Number(response.headers['retry-after'] ?? 1) }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: senders }, async () => {
    while (next < payloads.length) {
      const payload = payloads[next++];
      for (;;) {
        const { status, retryAfter } = await post(payload);
        if (status === 200) break;
        if (status !== 503 && status !== 429) throw new Error(`e2e: HTTP ${status}`);
        retries++;
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      }
    }
  }),
);
const e2eRate = (requests * batchSize) / ((performance.now() - started) / 1000);
const peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;
const countResponse = await fetch(new URL('/v1/agl/sql', url), {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'SELECT count(*) FROM spans' }),
});
const stored = ((await countResponse.json()) as { rows: number[][] }).rows[0][0];
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
agent.destroy();
if (stored !== requests * batchSize) throw new Error(`e2e: ${stored} spans stored, ${requests * batchSize} acknowledged`);

console.log(`All ${stored} acknowledged spans are in the DuckDB file (${retries} requests retried after 503).`);
printResult('ingest_decode_map', decodeRate, 'spans/s', 1, 'itself (one core, no storage)');
printResult('ingest_ceiling', ceilingRate, 'spans/s', ceilingRate / decodeRate, `decode+map only ${Math.round(decodeRate)} spans/s`);
printResult('ingest_e2e', e2eRate, 'spans/s', e2eRate / ceilingRate, `in-process ceiling ${Math.round(ceilingRate)} spans/s`);
printResult('ingest_collector_peak_rss', peakRssMiB, 'MiB', peakRssMiB / 1024, 'the 1024 MiB budget');
