import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mapSpan } from '../../src/semconv/index.ts';
import { Database, DuckDBSpanSink, runReadOnlyQuery, toSpanRows } from '../../src/storage/index.ts';
import { makeSpan } from '../helpers/span-factory.ts';
import { tempDir } from '../helpers/temp-dir.ts';

function walBytes(path: string): number {
  try {
    return statSync(`${path}.wal`).size;
  } catch {
    return 0;
  }
}

/** 2,048 spans in one write's rows (the same rows may be written again: spans have no key). */
function rowsOf2048() {
  return toSpanRows(
    Array.from({ length: 2048 }, (_, index) => {
      const span = makeSpan({ attributes: { step: index, tool: `tool_${index % 7}` } });
      return { span, mapping: mapSpan(span) };
    }),
  );
}

describe('DuckDBSpanSink checkpoints', () => {
  it('checkpoints between transactions once the spans table filled a row group, and loses nothing', async () => {
    const path = join(tempDir(), 'rowgroup.duckdb');
    const database = await Database.open({ path });
    const sink = await DuckDBSpanSink.open(database);
    const rows = rowsOf2048();
    // 122,880 rows per row group = 60 writes of 2,048.
    for (let write = 1; write <= 59; write++) assert.deepEqual(await sink.write(rows), { kind: 'written' });
    await sink.flush();
    const walBefore = walBytes(path);
    assert.ok(walBefore > 0, 'below one row group the spans wait in the WAL');
    await sink.write(rows);
    await sink.flush();
    const walAfter = walBytes(path);
    assert.ok(walAfter < walBefore / 10, `the WAL went from ${walBefore} to ${walAfter} bytes: no checkpoint`);
    const stored = await runReadOnlyQuery(database, 'SELECT count(*) FROM spans');
    assert.equal(stored.rows[0][0], 60 * 2048);
    await sink.close();
    await database.close();
  });

  it('checkpoints once the WAL reaches checkpointWalBytes, and refuses a bound ≤ 0', async () => {
    const path = join(tempDir(), 'wal.duckdb');
    let database = await Database.open({ path });
    let sink = await DuckDBSpanSink.open(database, { checkpointWalBytes: 64 * 1024 });
    const rows = rowsOf2048();
    for (let write = 0; write < 3; write++) {
      await sink.write(rows);
      await sink.flush();
      assert.ok(walBytes(path) < 64 * 1024, `WAL of ${walBytes(path)} bytes after a write`);
    }
    await sink.close();
    await database.close();
    database = await Database.open({ path });
    await assert.rejects(DuckDBSpanSink.open(database, { checkpointWalBytes: 0 }), /Expected `checkpointWalBytes` to be a number > 0/);
    sink = await DuckDBSpanSink.open(database);
    await sink.write(rows);
    const stored = await runReadOnlyQuery(database, 'SELECT count(*) FROM spans');
    assert.equal(stored.rows[0][0], 4 * 2048);
    await sink.close();
    await database.close();
  });

  it('checkpoints every checkpointEverySpans spans, which bounds the committed rows held in memory', async () => {
    const path = join(tempDir(), 'every.duckdb');
    const database = await Database.open({ path });
    await assert.rejects(DuckDBSpanSink.open(database, { checkpointEverySpans: 0 }), /Expected `checkpointEverySpans` to be an integer ≥ 1/);
    const sink = await DuckDBSpanSink.open(database, { checkpointEverySpans: 4096 });
    const rows = rowsOf2048();
    await sink.write(rows);
    await sink.flush();
    const walBefore = walBytes(path);
    assert.ok(walBefore > 0, 'below 4,096 spans the spans wait in the WAL');
    await sink.write(rows);
    await sink.flush();
    const walAfter = walBytes(path);
    assert.ok(walAfter < walBefore / 2, `the WAL went from ${walBefore} to ${walAfter} bytes: no checkpoint at 4,096 spans`);
    const inMemory = await runReadOnlyQuery(database, "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'");
    assert.ok(Number(inMemory.rows[0][0]) < 8 * 1024 * 1024, `${inMemory.rows[0][0]} bytes of in-memory table rows after a checkpoint`);
    const stored = await runReadOnlyQuery(database, 'SELECT count(*) FROM spans');
    assert.equal(stored.rows[0][0], 2 * 2048);
    await sink.close();
    await database.close();
  });
});
