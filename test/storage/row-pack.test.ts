import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { RowPacker, appendPackedRows, transferables } from '../../src/storage/row-pack.ts';
import type { ColumnKind, PackedRows } from '../../src/storage/row-pack.ts';

/** Rows packed on one side, appended to a real DuckDB table on the other. */

const KINDS: ColumnKind[] = ['V', 'B', 'I', 'D', 'Z', 'V'];
type Row = [string | null, bigint | null, number | null, number | null, boolean | null, string | null];

const ROWS: Row[] = [
  ['plain', 1n, 1, 0.5, true, ''],
  [null, null, null, null, null, null],
  ['ünïcödé ✓ 𝄞', -(2n ** 63n), -(2 ** 31), -1e300, false, 'x'.repeat(10_000)],
  ['', 2n ** 63n - 1n, 2 ** 31 - 1, Number.MIN_VALUE, true, 'quote " and \\ backslash'],
];

async function roundTrip(packed: PackedRows): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run('CREATE TABLE t (v VARCHAR, b BIGINT, i INTEGER, d DOUBLE, z BOOLEAN, w VARCHAR)');
    const appender = await connection.createAppender('t');
    appendPackedRows(appender, packed, KINDS, null);
    appender.closeSync();
    const reader = await connection.runAndReadAll('SELECT * FROM t ORDER BY rowid');
    return reader.getRows();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function pack(rows: readonly Row[], expectedRows?: number): PackedRows {
  const packer = new RowPacker(KINDS, expectedRows);
  for (const row of rows) for (const value of row) packer.add(value);
  return packer.finish();
}

describe('packed rows', () => {
  it('keep every kind of value and every null through DuckDB', async () => {
    const rows = await roundTrip(pack(ROWS));
    assert.deepEqual(rows, ROWS);
  });

  it('grow past the expected row count', async () => {
    const many: Row[] = Array.from({ length: 1000 }, (_, index) => [`r${index}`, BigInt(index), index, index / 2, index % 2 === 0, null]);
    const packed = pack(many, 1);
    assert.equal(packed.rowCount, 1000);
    assert.deepEqual(await roundTrip(packed), many);
  });

  it('survive a trip to another thread with their buffers transferred, not copied', async () => {
    const packed = pack(ROWS);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(packed, transferables(packed));
    assert.equal(packed.nulls.byteLength, 0, 'the sender no longer holds the transferred buffers');
    const received = receiveMessageOnPort(port2)?.message as PackedRows;
    port1.close();
    assert.deepEqual(await roundTrip(received), ROWS);
  });

  it('refuse a bigint outside 64 bits and a row left unfinished', () => {
    const packer = new RowPacker(['B']);
    assert.throws(() => packer.add(2n ** 63n), /outside the 64-bit integer range/);
    const unfinished = new RowPacker(KINDS);
    unfinished.add('only one value');
    assert.throws(() => unfinished.finish(), /A row was left with 1 of 6 values/);
  });
});
