import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mixedSpans, protobufBody } from '../collector/otlp-requests.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { postSql, sqlRows, startSqlServe, stopSqlServe } from './sql-serve.ts';
import type { SqlServe } from './sql-serve.ts';

/**
 * Hostile SQL against a real `agl serve`: nothing can write a file, change a setting, attach,
 * load, checkpoint or create, whatever it hides in; files are read only in --sql-allow-files.
 */

const SETTINGS = ['memory_limit', 'threads', 'enable_external_access', 'lock_configuration', 'autoinstall_known_extensions', 'allowed_directories', 'enable_profiling'];

describe('user SQL is read-only (agl serve)', () => {
  const dir = tempDir('agl-sql-ro-');
  const dbPath = join(dir, 'agl.duckdb');
  const allowed = join(dir, 'allowed');
  const target = join(dir, 'target');
  let server: SqlServe;
  let settings: unknown[][];

  before(async () => {
    mkdirSync(allowed);
    mkdirSync(target);
    writeFileSync(join(allowed, 'ok.csv'), 'a,b\n1,2\n');
    writeFileSync(join(dir, 'secret.csv'), 'token\nhunter2\n');
    server = await startSqlServe(dbPath, ['--sql-allow-files', allowed]);
    const response = await fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody(mixedSpans('ro-sec')),
    });
    assert.equal(response.status, 200);
    settings = await sqlRows(server.url, settingsQuery());
  });
  after(() => (server.child.exitCode === null ? stopSqlServe(server) : undefined));

  function settingsQuery(): string {
    return `SELECT name, value FROM duckdb_settings() WHERE name IN (${SETTINGS.map((name) => `'${name}'`).join(', ')}) ORDER BY name`;
  }

  it('refuses every statement that writes, sets, attaches, loads, checkpoints or creates, in any wrapper', async () => {
    const file = (name: string) => join(target, name).replaceAll("'", "''");
    const hostile = [
      `EXPLAIN ANALYZE COPY (SELECT 'x') TO '${file('a.csv')}' (FORMAT csv)`,
      `explain /* hi */ analyse copy (select 1) to '${file('b.csv')}'`,
      `EXPLAIN COPY (SELECT 1) TO '${file('c.csv')}'`,
      `COPY (SELECT 1) TO '${file('d.csv')}'`,
      `EXPORT DATABASE '${file('exported')}'`,
      `EXPLAIN ANALYZE EXPORT DATABASE '${file('exported2')}'`,
      `ATTACH '${file('other.duckdb')}' AS other`,
      `EXPLAIN ANALYZE ATTACH '${file('other2.duckdb')}' AS other`,
      "SET memory_limit = '1MB'",
      "EXPLAIN ANALYZE SET memory_limit = '1MB'",
      'EXPLAIN ANALYZE SET threads = 8',
      'EXPLAIN ANALYZE SET enable_external_access = true',
      "SET GLOBAL autoinstall_known_extensions = true",
      "RESET memory_limit",
      "PRAGMA memory_limit = '1MB'",
      'PRAGMA enable_profiling',
      'EXPLAIN ANALYZE PRAGMA enable_profiling',
      'CHECKPOINT',
      'EXPLAIN ANALYZE CHECKPOINT',
      'FORCE CHECKPOINT',
      'VACUUM',
      'EXPLAIN ANALYZE VACUUM',
      'LOAD httpfs',
      'EXPLAIN ANALYZE LOAD httpfs',
      'INSTALL httpfs',
      'CREATE TEMP TABLE t AS SELECT 1',
      'EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1',
      'CREATE MACRO m() AS 1',
      'SET VARIABLE v = 1',
      'SELECT * FROM checkpoint()',
      'SELECT * FROM force_checkpoint()',
      'WITH c AS (SELECT * FROM checkpoint()) SELECT * FROM c',
      'SELECT (SELECT count(*) FROM force_checkpoint())',
      "SELECT * FROM query('CHECKPOINT')",
      `SELECT * FROM query('COPY (SELECT 1) TO ''${file('q.csv')}''')`,
      "SELECT * FROM query_table('spans')",
      'SELECT * FROM enable_profiling()',
      'SELECT * FROM Enable_Logging()',
      "SELECT write_log('x')",
      "SELECT setseed(0.5)",
      "SELECT * FROM range(1) r, LATERAL (SELECT * FROM checkpoint())",
      `SELECT * FROM read_csv('${join(dir, 'secret.csv')}')`,
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_blob('/etc/hostname')",
      "SELECT * FROM glob('/root/*')",
      `SELECT * FROM read_parquet('${dbPath}')`,
      `SELECT * FROM '${join(dir, 'secret.csv')}'`,
      `SELECT * FROM read_csv('${join(allowed, '..', 'secret.csv')}')`,
      'INSERT INTO spans (trace_id, span_id) VALUES (1, 2)',
      "UPDATE spans SET name = 'x'",
      'DELETE FROM spans',
      'DROP VIEW rewards',
      'BEGIN TRANSACTION',
    ];
    for (const query of hostile) {
      const answer = await postSql(server.url, query);
      assert.ok([400, 403].includes(answer.status), `${query} → ${answer.status} ${JSON.stringify(answer.body)}`);
      assert.ok(answer.body.code === 'forbidden' || answer.body.code === 'invalid_request', query);
    }
    assert.deepEqual(readdirSync(target), [], 'nothing was written or created');
    assert.equal(existsSync(join(dir, 'exported')), false);
    assert.deepEqual(await sqlRows(server.url, settingsQuery()), settings, 'no setting changed');
    assert.deepEqual(await sqlRows(server.url, "SELECT count(*) FROM duckdb_tables() WHERE temporary"), [[0]]);
    assert.deepEqual(await sqlRows(server.url, "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'other'"), [[0]]);
  });

  it('still answers SELECT, WITH, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN [ANALYZE], PRAGMA table_info', async () => {
    assert.deepEqual(await sqlRows(server.url, "SELECT count(*) FROM spans WHERE rollout_id = 'ro-sec'"), [[mixedSpans('ro-sec').length]]);
    assert.deepEqual(await sqlRows(server.url, 'WITH s AS (SELECT 1 AS a) SELECT a FROM s'), [[1]]);
    assert.ok((await sqlRows(server.url, 'SHOW TABLES')).some((row) => row[0] === 'spans'));
    assert.ok((await sqlRows(server.url, 'DESCRIBE spans')).some((row) => row[0] === 'trace_id'));
    assert.equal((await sqlRows(server.url, 'SUMMARIZE SELECT 1 AS a')).length, 1);
    assert.equal((await sqlRows(server.url, 'EXPLAIN SELECT * FROM spans')).length, 1);
    assert.equal((await sqlRows(server.url, '/* why */ EXPLAIN ANALYZE SELECT count(*) FROM spans')).length, 1);
    assert.ok((await sqlRows(server.url, "PRAGMA table_info('spans')")).some((row) => row[1] === 'span_id'));
    assert.deepEqual(await sqlRows(server.url, 'SELECT sum(range) FROM range(10)'), [[45]]);
  });

  it('reads files in --sql-allow-files only', async () => {
    assert.deepEqual(await sqlRows(server.url, `SELECT a, b FROM read_csv('${join(allowed, 'ok.csv')}')`), [[1, 2]]);
    assert.deepEqual(await sqlRows(server.url, `SELECT count(*) FROM glob('${join(allowed, '*')}')`), [[1]]);
    const outside = await postSql(server.url, `SELECT * FROM read_csv('${join(dir, 'secret.csv')}')`);
    assert.equal(outside.status, 403);
    assert.match(outside.body.detail ?? '', /Permission Error|not allowed/);
    const copy = await postSql(server.url, `COPY (SELECT 1) TO '${join(allowed, 'w.csv')}'`);
    assert.equal(copy.status, 403);
    assert.deepEqual(readdirSync(allowed), ['ok.csv'], 'the readable directory is not writable');
  });

  it('restarts on the same file with the data, and reads no file without --sql-allow-files', async () => {
    const before = await sqlRows(server.url, 'SELECT count(*) FROM spans');
    await stopSqlServe(server);
    server = await startSqlServe(dbPath);
    assert.deepEqual(await sqlRows(server.url, 'SELECT count(*) FROM spans'), before);
    assert.deepEqual(await sqlRows(server.url, settingsQuery()).then((rows) => rows.filter((row) => row[0] !== 'allowed_directories')), settings.filter((row) => row[0] !== 'allowed_directories'));
    const refused = await postSql(server.url, `SELECT * FROM read_csv('${join(allowed, 'ok.csv')}')`);
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail ?? '', /reading files is off/);
  });
});
