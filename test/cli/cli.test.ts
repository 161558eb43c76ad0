import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import type { SpanSpec } from '../collector/otlp-requests.ts';

/**
 * The `agl` command as real processes: `agl serve` on a DuckDB file, `agl sql` against it over
 * HTTP and on the file, graceful shutdown on SIGTERM and SIGINT, and command-line mistakes.
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const dir = tempDir('agl-cli-');
const dbPath = join(dir, 'x.duckdb');

/** The environment of every child: nothing inherited that would point `agl` elsewhere. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB']) if (!(name in extra)) delete env[name];
  return env;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `agl <args>` to its end. */
function agl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AGL, ...args], { cwd: dir, env: childEnv(env), timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Server {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMillis: number }>;
}

const servers: Server[] = [];
after(() => {
  for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

/** Starts `agl serve` on `dbPath` and waits for its start-up line. */
async function serve(): Promise<Server> {
  const child = spawn(process.execPath, [AGL, 'serve', '--db', dbPath, '--port', '0', '--log-level', 'warn'], {
    cwd: dir,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let signalledAt = 0;
  const originalKill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalledAt = Date.now();
    return originalKill(signal);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMillis: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, afterMillis: Date.now() - signalledAt })),
  );
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agl serve printed no start-up line; stderr: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`agl serve exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (first) => {
      clearTimeout(timer);
      resolve(first);
    });
  });
  const match = /^agl collector listening on (http:\/\/127\.0\.0\.1:(\d+)) \(database (.+)\)$/.exec(line);
  assert.ok(match, `start-up line: ${line}`);
  assert.notEqual(match[2], '0');
  assert.equal(match[3], dbPath);
  const server = { child, url: match[1], stderr: () => stderr, exited };
  servers.push(server);
  return server;
}

/** Posts spans; true when the collector acknowledged them (200). */
async function send(url: string, spans: SpanSpec[]): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody(spans),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Spans of one numbered batch, told apart by their `test.batch` attribute. */
function batch(number: number, size: number): SpanSpec[] {
  return Array.from({ length: size }, () => spanSpec({ attributes: { 'test.batch': number, 'agentlightning.rollout_id': 'ro-cli' } }));
}

/** Batch number → stored span count, read with `agl sql --db` (the file opened read-only). */
async function storedBatches(env: Record<string, string> = {}): Promise<Map<number, number>> {
  const run = await agl(
    [
      'sql',
      '--db',
      dbPath,
      '--format',
      'json',
      `SELECT CAST(json_extract(attributes, '$."test.batch"') AS INTEGER) AS batch, count(*) AS n
       FROM spans WHERE json_extract(attributes, '$."test.batch"') IS NOT NULL GROUP BY 1 ORDER BY 1`,
    ],
    env,
  );
  assert.equal(run.code, 0, run.stderr);
  const rows = JSON.parse(run.stdout) as { batch: number; n: number }[];
  return new Map(rows.map((row) => [row.batch, row.n]));
}

describe('agl serve and agl sql (real processes)', () => {
  const named = [
    spanSpec({ name: 'alpha', attributes: { n: 1, 'agentlightning.rollout_id': 'ro-cli' } }),
    spanSpec({ name: 'beta, "quoted"', attributes: { n: 2 } }),
  ];
  const QUERY = `SELECT name, CAST(json_extract(attributes, '$.n') AS INTEGER) AS n, rollout_id
                 FROM spans WHERE name IN ('alpha', 'beta, "quoted"') ORDER BY n`;
  const acknowledged = new Set<number>();
  let nextBatch = 0;

  it('serves, answers agl sql as JSON, CSV and table, and refuses bad command lines', async () => {
    const server = await serve();
    assert.equal(await send(server.url, named), true);

    const [json, csv, table, locked, missing, badPort, emptyPort, unknown, badFormat, noQuery] = await Promise.all([
      agl(['sql', '--server', server.url, '--format', 'json', QUERY]),
      agl(['sql', '--server', server.url, '--format', 'csv', QUERY]),
      agl(['sql', '--server', server.url, '--format', 'table', QUERY]),
      agl(['sql', '--db', dbPath, 'SELECT count(*) FROM spans']),
      agl(['sql', '--db', join(dir, 'missing.duckdb'), 'SELECT 1']),
      agl(['serve', '--port', 'abc']),
      agl(['serve', '--port', '']),
      agl(['frobnicate']),
      agl(['sql', '--format', 'xml', 'SELECT 1']),
      agl(['sql', '--server', server.url]),
    ]);

    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [
      { name: 'alpha', n: 1, rollout_id: 'ro-cli' },
      { name: 'beta, "quoted"', n: 2, rollout_id: null },
    ]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout, 'name,n,rollout_id\nalpha,1,ro-cli\n"beta, ""quoted""",2,\n');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.deepEqual(lines, [
      '┌────────────────┬───┬────────────┐',
      '│ name           │ n │ rollout_id │',
      '├────────────────┼───┼────────────┤',
      '│ alpha          │ 1 │ ro-cli     │',
      '│ beta, "quoted" │ 2 │ NULL       │',
      '└────────────────┴───┴────────────┘',
      '2 rows',
    ]);

    // The file is held by the server: a clear error, exit code 1.
    assert.equal(locked.code, 1);
    assert.equal(locked.stdout, '');
    assert.match(locked.stderr, /is held by a running collector: query it with --server URL instead/);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^agl sql: Cannot open .*missing\.duckdb read-only/);

    for (const [run, message] of [
      [badPort, /^agl serve: --port must be 0 to 65535, got `abc`/],
      [emptyPort, /^agl serve: --port must be 0 to 65535, got ``/],
      [unknown, /^agl: unknown command `frobnicate`/],
      [badFormat, /^agl sql: --format must be table, json or csv, got `xml`/],
      [noQuery, /^agl sql: agl sql needs a query/],
    ] as const) {
      assert.equal(run.code, 2, `${run.stderr} ${run.stdout}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: agl/);
    }

    // SIGTERM while exporters are still sending: every acknowledged span must be in the file.
    const senders = Array.from({ length: 4 }, async () => {
      for (;;) {
        const number = nextBatch++;
        if (!(await send(server.url, batch(number, 200)))) return;
        acknowledged.add(number);
        if (number > 200) return;
      }
    });
    while (acknowledged.size < 8) await new Promise((resolve) => setTimeout(resolve, 5));
    server.child.kill('SIGTERM');
    await Promise.all(senders);
    const exit = await server.exited;
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, server.stderr());
    assert.ok(exit.afterMillis < 3000, `exited ${exit.afterMillis} ms after SIGTERM`);
    assert.doesNotMatch(server.stderr(), /error/i);

    // An explicit --db wins over AGL_SERVER from the environment.
    const stored = await storedBatches({ AGL_SERVER: 'http://127.0.0.1:9' });
    for (const number of acknowledged) assert.equal(stored.get(number), 200, `batch ${number} was acknowledged`);
    for (const [number, count] of stored) assert.equal(count, 200, `batch ${number} is whole`);
  });

  it('restarts on the same file and shuts down on SIGINT, keeping everything', async () => {
    const server = await serve();
    const before = await storedBatchesOver(server.url);
    for (const number of acknowledged) assert.equal(before.get(number), 200);
    const more = [nextBatch++, nextBatch++, nextBatch++];
    const results = await Promise.all(more.map((number) => send(server.url, batch(number, 100))));
    assert.deepEqual(results, [true, true, true]);
    server.child.kill('SIGINT');
    const exit = await server.exited;
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, server.stderr());
    assert.ok(exit.afterMillis < 3000, `exited ${exit.afterMillis} ms after SIGINT`);

    const stored = await storedBatches();
    assert.deepEqual(
      [...stored].filter(([number]) => !before.has(number)),
      more.map((number) => [number, 100]),
    );
    for (const [number, count] of before) assert.equal(stored.get(number), count);
  });

  it('keeps every acknowledged span when killed with SIGKILL (a 200 means durable)', async () => {
    const server = await serve();
    const before = await storedBatchesOver(server.url);
    const more = [nextBatch++, nextBatch++, nextBatch++, nextBatch++];
    const results = await Promise.all(more.map((number) => send(server.url, batch(number, 150))));
    assert.deepEqual(results, [true, true, true, true]);
    server.child.kill('SIGKILL');
    const exit = await server.exited;
    assert.equal(exit.signal, 'SIGKILL');

    // No checkpoint ran: the spans are in the write-ahead log, which the next open replays.
    const stored = await storedBatches();
    assert.deepEqual(
      [...stored].filter(([number]) => !before.has(number)),
      more.map((number) => [number, 150]),
    );
    assert.equal(stored.size, before.size + more.length);
  });
});

/** Batch counts read from a running collector with `agl sql --server` (JSON output). */
async function storedBatchesOver(url: string): Promise<Map<number, number>> {
  const run = await agl([
    'sql',
    '--server',
    url,
    '--format',
    'json',
    `SELECT CAST(json_extract(attributes, '$."test.batch"') AS INTEGER) AS batch, count(*) AS n
     FROM spans WHERE json_extract(attributes, '$."test.batch"') IS NOT NULL GROUP BY 1 ORDER BY 1`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const rows = JSON.parse(run.stdout) as { batch: number; n: number }[];
  return new Map(rows.map((row) => [row.batch, row.n]));
}
