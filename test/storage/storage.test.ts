import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mapSpan } from '../../src/semconv/index.ts';
import { Database, DuckDBSpanSink, SCHEMA_VERSION, runReadOnlyQuery, toSpanRows, valueToJson } from '../../src/storage/index.ts';
import type { MappedSpan } from '../../src/storage/index.ts';
import type { SpanRecord } from '../../src/spans/index.ts';
import { makeSpan } from '../helpers/span-factory.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const mapped = (span: SpanRecord): MappedSpan => ({ span, mapping: mapSpan(span) });

async function count(database: Database, table: string): Promise<number> {
  const result = await runReadOnlyQuery(database, `SELECT count(*) FROM ${table}`);
  return result.rows[0][0] as number;
}

describe('Database', () => {
  it('migrates a new file once and reopens it without re-applying', async () => {
    const path = join(tempDir(), 'a.duckdb');
    const first = await Database.open({ path });
    await first.close();
    const second = await Database.open({ path });
    const versions = await runReadOnlyQuery(second, 'SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(versions.rows, Array.from({ length: SCHEMA_VERSION }, (_, index) => [index + 1]));
    await second.close();
    await second.close(); // idempotent
  });

  it('keeps to memoryLimitBytes by spilling unchecked-in rows next to the file, and loses none', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.duckdb');
    const database = await Database.open({ path, memoryLimitBytes: 128 * 1024 * 1024 });
    const connection = await database.connect();
    try {
      const setting = await connection.runAndReadAll("SELECT current_setting('memory_limit')");
      assert.equal(setting.getRows()[0][0], '128.0 MiB');
      await connection.run('CREATE TABLE big (id BIGINT, payload VARCHAR)');
      // 240 MB of rows that are not checkpointed: held in memory without a limit.
      for (let batch = 0; batch < 8; batch++) {
        await connection.run(`INSERT INTO big SELECT range + ${batch * 30_000}, repeat(md5(range::VARCHAR), 32) FROM range(30000)`);
      }
      const memory = await connection.runAndReadAll(
        "SELECT sum(memory_usage_bytes)::BIGINT, sum(temporary_storage_bytes)::BIGINT FROM duckdb_memory()",
      );
      const [inMemory, spilled] = memory.getRows()[0] as [bigint, bigint];
      assert.ok(inMemory <= 128n * 1024n * 1024n, `${inMemory} bytes in memory`);
      assert.ok(spilled > 0n, 'nothing spilled');
      assert.deepEqual(readdirSync(dir).sort(), ['a.duckdb', 'a.duckdb.tmp', 'a.duckdb.wal']);
    } finally {
      database.release(connection);
      await database.close();
    }
    assert.deepEqual(readdirSync(dir), ['a.duckdb']);
    const reopened = await Database.open({ path });
    assert.equal(await count(reopened, 'big'), 240_000);
    await reopened.close();
  });

  it('refuses a memoryLimitBytes below 1 MiB', async () => {
    await assert.rejects(Database.open({ path: join(tempDir(), 'a.duckdb'), memoryLimitBytes: 1000 }), /memoryLimitBytes/);
  });

  it('refuses a file written by a newer schema', async () => {
    const path = join(tempDir(), 'newer.duckdb');
    const database = await Database.open({ path });
    const connection = await database.connect();
    await connection.run(`INSERT INTO schema_migrations (version, description) VALUES (${SCHEMA_VERSION + 1}, 'future')`);
    database.release(connection);
    await database.close();
    await assert.rejects(Database.open({ path }), /newer than this build/);
  });
});

describe('valueToJson', () => {
  it('keeps every digit of a bigint and writes bytes as base64', () => {
    assert.equal(
      valueToJson({ big: 123456789012345678901n, bytes: new Uint8Array([1, 2, 3]), nested: [{ n: -5n }] }),
      '{"big":123456789012345678901,"bytes":"AQID","nested":[{"n":-5}]}',
    );
  });

  it('leaves strings that look like its internal marks alone', () => {
    const tricky = { s: '\u0000agl-bigint-000000000000:12' };
    assert.deepEqual(JSON.parse(valueToJson({ ...tricky, b: 1n })), { ...tricky, b: 1 });
  });
});

describe('DuckDBSpanSink', () => {
  it('stores every field of a span and resolves only after commit', async () => {
    const database = await Database.open({ path: join(tempDir(), 's.duckdb') });
    const sink = await DuckDBSpanSink.open(database);
    const span = makeSpan({
      parentSpanId: '00000000000000ff',
      kind: 3,
      statusCode: 2,
      statusMessage: 'boom',
      attributes: { s: 'x', i: 7, big: 2n ** 70n, f: 1.5, b: true, arr: ['a', 'b'], bytes: new Uint8Array([255]) },
      events: [{ name: 'e1', timeUnixNano: 1_700_000_000_123_456_999n, attributes: { k: 'v' }, droppedAttributesCount: 0 }],
      links: [{ traceId: 'bb'.repeat(16), spanId: 'cc'.repeat(8), traceState: 'a=b', attributes: {}, droppedAttributesCount: 0, flags: 1 }],
      resource: { 'service.name': 'svc', 'agentlightning.rollout_id': 'ro-1', 'agentlightning.attempt_id': 'at-1' },
    });
    const result = await sink.write(toSpanRows([mapped(span)]));
    assert.deepEqual(result, { kind: 'written' });
    const rows = await runReadOnlyQuery(
      database,
      `SELECT trace_id, span_id, parent_span_id, kind, status_code, status_message, start_time_unix_nano,
              strftime(start_time, '%Y-%m-%d %H:%M:%S.%f') AS start_us, attributes, events, links, service_name, rollout_id, attempt_id
       FROM spans`,
    );
    const [row] = rows.rows;
    assert.equal(row[0], span.traceId);
    assert.equal(row[1], span.spanId);
    assert.equal(row[2], '00000000000000ff');
    assert.equal(row[3], 'CLIENT');
    assert.equal(row[4], 'ERROR');
    assert.equal(row[5], 'boom');
    assert.equal(row[6], span.startTimeUnixNano.toString()); // beyond 2^53: kept as an exact string
    const micros = span.startTimeUnixNano / 1000n;
    const seconds = new Date(Number(micros / 1_000_000n) * 1000).toISOString().slice(0, 19).replace('T', ' ');
    assert.equal(row[7], `${seconds}.${(micros % 1_000_000n).toString().padStart(6, '0')}`);
    assert.deepEqual(row[8], { s: 'x', i: 7, big: 1.1805916207174113e21, f: 1.5, b: true, arr: ['a', 'b'], bytes: '/w==' });
    assert.deepEqual(row[9], [{ name: 'e1', time_unix_nano: '1700000000123456999', attributes: { k: 'v' } }]);
    assert.deepEqual(row[10], [{ trace_id: 'bb'.repeat(16), span_id: 'cc'.repeat(8), trace_state: 'a=b', attributes: {}, flags: 1 }]);
    assert.deepEqual(row.slice(11), ['svc', 'ro-1', 'at-1']);
    const exact = await runReadOnlyQuery(database, `SELECT (attributes->>'big')::HUGEINT::VARCHAR FROM spans`);
    assert.equal(exact.rows[0][0], (2n ** 70n).toString());
    await sink.close();
    await database.close();
  });

  it('commits concurrent writes together and loses none', async () => {
    const database = await Database.open({ path: join(tempDir(), 'g.duckdb') });
    const sink = await DuckDBSpanSink.open(database);
    const writes = Array.from({ length: 50 }, () => sink.write(toSpanRows(Array.from({ length: 20 }, () => mapped(makeSpan())))));
    const results = await Promise.all(writes);
    assert.ok(results.every((result) => result.kind === 'written'));
    assert.equal(await count(database, 'spans'), 1000);
    await sink.close();
    await database.close();
  });

  it('refuses writes beyond its queue bound without storing them', async () => {
    const database = await Database.open({ path: join(tempDir(), 'q.duckdb') });
    const sink = await DuckDBSpanSink.open(database, { maxQueuedSpans: 10, retryAfterMillis: 2000 });
    const first = sink.write(toSpanRows(Array.from({ length: 8 }, () => mapped(makeSpan()))));
    const second = await sink.write(toSpanRows(Array.from({ length: 5 }, () => mapped(makeSpan()))));
    assert.deepEqual(second, { kind: 'overloaded', retryAfterMillis: 2000, reason: 'queue-full' });
    assert.deepEqual(await first, { kind: 'written' });
    assert.equal(await count(database, 'spans'), 8);
    await sink.close();
    await database.close();
  });

  it('fails only the bad write of a group commit and stores nothing of it', async () => {
    const database = await Database.open({ path: join(tempDir(), 'b.duckdb') });
    const sink = await DuckDBSpanSink.open(database);
    const good1 = sink.write(toSpanRows([mapped(makeSpan()), mapped(makeSpan())]));
    // A record that cannot be appended half-way through its row (a corrupt record).
    const bad = sink.write(toSpanRows([mapped(makeSpan()), mapped(makeSpan({ name: undefined as unknown as string }))]));
    const good2 = sink.write(toSpanRows([mapped(makeSpan())]));
    assert.deepEqual(await good1, { kind: 'written' });
    await assert.rejects(bad);
    assert.deepEqual(await good2, { kind: 'written' });
    assert.equal(await count(database, 'spans'), 3);
    const afterwards = await sink.write(toSpanRows([mapped(makeSpan())]));
    assert.deepEqual(afterwards, { kind: 'written' });
    assert.equal(await count(database, 'spans'), 4);
    await sink.close();
    await database.close();
  });

  it('stores none of a large failed group but each of its good writes alone', async () => {
    const database = await Database.open({ path: join(tempDir(), 'sl.duckdb') });
    const sink = await DuckDBSpanSink.open(database);
    // 2,100 spans: several slices of the group (512), so it yields to the event loop before the bad write.
    const large = sink.write(toSpanRows(Array.from({ length: 2100 }, () => mapped(makeSpan()))));
    const bad = sink.write(toSpanRows([mapped(makeSpan({ name: undefined as unknown as string }))]));
    const small = sink.write(toSpanRows([mapped(makeSpan())]));
    assert.deepEqual(await large, { kind: 'written' });
    await assert.rejects(bad);
    assert.deepEqual(await small, { kind: 'written' });
    assert.equal(await count(database, 'spans'), 2101);
    assert.equal(await count(database, '(SELECT DISTINCT span_id FROM spans)'), 2101);
    await sink.close();
    await database.close();
  });
});

describe('runReadOnlyQuery', () => {
  it('refuses statements that write, attach, load or configure', async () => {
    const database = await Database.open({ path: join(tempDir(), 'r.duckdb') });
    for (const sql of [
      "INSERT INTO spans (trace_id) VALUES ('x')",
      'DELETE FROM spans',
      'DROP TABLE spans',
      'CREATE TABLE t (a INT)',
      "ATTACH 'other.duckdb'",
      'LOAD json',
      "COPY spans TO 'out.csv'",
      'SET threads = 1',
      'CALL checkpoint()',
      'CHECKPOINT',
      'BEGIN',
    ]) {
      await assert.rejects(runReadOnlyQuery(database, sql), (error: Error & { status?: number }) => {
        assert.ok(error.status === 403 || error.status === 400, `${sql}: ${error.message}`);
        return true;
      });
    }
    await assert.rejects(runReadOnlyQuery(database, 'SELECT 1; SELECT 2'), /exactly one/);
    await assert.rejects(runReadOnlyQuery(database, 'SELEC 1'), /does not parse|invalid/);
    await assert.rejects(runReadOnlyQuery(database, ''), /empty/);
    const ok = await runReadOnlyQuery(database, "SELECT 42 AS answer, '{\"a\":1}'::JSON AS j, 2::BIGINT ** 60 AS big");
    assert.deepEqual(ok.columns.map((column) => column.name), ['answer', 'j', 'big']);
    assert.deepEqual(ok.rows, [[42, { a: 1 }, 1152921504606846976]]);
    const many = await runReadOnlyQuery(database, 'SELECT * FROM range(100)', { maxRows: 10 });
    assert.equal(many.rows.length, 10);
    assert.equal(many.truncated, true);
    await database.close();
  });
});
