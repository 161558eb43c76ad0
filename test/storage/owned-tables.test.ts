import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APO_TABLES } from '../../src/algorithm/index.ts';
import { Database, SCHEMA_VERSION, registerTables, registeredTables, runReadOnlyQuery } from '../../src/storage/index.ts';
import type { OwnedTables } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function rows(database: Database, sql: string): Promise<unknown[][]> {
  return (await runReadOnlyQuery(database, sql)).rows;
}

async function run(database: Database, sql: string): Promise<void> {
  const connection = await database.connect();
  try {
    await connection.run(sql);
  } finally {
    database.release(connection);
  }
}

/** Tables owned by a module outside storage (APO's apo_rounds): declared by it, applied at open, recorded per owner. */
describe('owned tables', () => {
  it("APO's tables are registered by loading APO and created with every new file", async () => {
    assert.ok(registeredTables().includes(APO_TABLES));
    const database = await Database.open({ path: join(tempDir(), 'new.duckdb') });
    try {
      assert.deepEqual(await rows(database, 'SELECT owner, version FROM table_migrations ORDER BY version'), [['apo', 1], ['apo', 2]]);
      assert.deepEqual(await rows(database, 'SELECT count(*)::INTEGER FROM apo_rounds'), [[0]]);
    } finally {
      await database.close();
    }
  });

  it('adopts the apo_rounds of a file from before tables had owners, keeping its rows', async () => {
    const path = join(tempDir(), 'old.duckdb');
    // A file as the previous build left it: apo_rounds from core migrations 3 and 6, no table_migrations.
    let database = await Database.open({ path });
    await run(database, "INSERT INTO apo_rounds (run_id, round, completed_at, candidates, beam, rejected_edits, timed_out_rollouts, timed_out_rollout_ids, run_fingerprint) VALUES ('old-run', 0, 1, '[]', '[]', 0, 0, '[]', 'fp')");
    await run(database, 'DROP TABLE table_migrations');
    await run(database, `DELETE FROM schema_migrations WHERE version > ${SCHEMA_VERSION - 1}`);
    await database.close();
    database = await Database.open({ path });
    try {
      assert.deepEqual(await rows(database, 'SELECT max(version) FROM schema_migrations'), [[SCHEMA_VERSION]]);
      assert.deepEqual(await rows(database, 'SELECT owner, version FROM table_migrations ORDER BY version'), [['apo', 1], ['apo', 2]]);
      assert.deepEqual(await rows(database, 'SELECT run_id, run_fingerprint FROM apo_rounds'), [['old-run', 'fp']]);
    } finally {
      await database.close();
    }
  });

  it("applies a module's new migrations once, and refuses a file whose tables are newer than the build", async () => {
    const notes: OwnedTables = {
      owner: 'test-notes',
      migrations: [
        { version: 1, description: 'notes', statements: ['CREATE TABLE test_notes (id INTEGER PRIMARY KEY, text VARCHAR)'] },
        { version: 2, description: 'notes: author', statements: ['ALTER TABLE test_notes ADD COLUMN author VARCHAR'] },
      ],
    };
    registerTables(notes);
    registerTables(notes); // the same tables again: nothing
    assert.throws(() => registerTables({ owner: 'test-notes', migrations: [] }), /registered already/);
    assert.throws(() => registerTables({ owner: 'test-gap', migrations: [{ version: 2, description: 'x', statements: [] }] }), /numbered 1, 2, 3/);
    const path = join(tempDir(), 'notes.duckdb');
    let database = await Database.open({ path });
    await run(database, "INSERT INTO test_notes VALUES (1, 'hello', 'me')");
    await database.close();
    database = await Database.open({ path });
    assert.deepEqual(await rows(database, "SELECT version FROM table_migrations WHERE owner = 'test-notes' ORDER BY version"), [[1], [2]]);
    assert.deepEqual(await rows(database, 'SELECT text, author FROM test_notes'), [['hello', 'me']]);
    await run(database, "INSERT INTO table_migrations (owner, version, description) VALUES ('test-notes', 3, 'future')");
    await database.close();
    await assert.rejects(Database.open({ path }), /tables of `test-notes` have schema version 3, newer than this build's 2/);
  });
});
