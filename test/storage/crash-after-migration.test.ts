import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Database, SCHEMA_VERSION } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const STORAGE = pathToFileURL(join(import.meta.dirname, '../../src/storage/index.ts')).href;

describe('a process killed right after the schema is written', () => {
  it('leaves a file the next open replays (every migration in the WAL, none checkpointed)', async () => {
    const path = join(tempDir(), 'killed.duckdb');
    // Migrates a new file (as Database.open does, without the checkpoint that follows), then dies
    // with SIGKILL, so that the next open must replay every migration from the WAL.
    const script = `const { migrate } = await import(${JSON.stringify(STORAGE)});
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(${JSON.stringify(path)}, { threads: '1' });
      await migrate(await instance.connect());
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.ok(existsSync(`${path}.wal`), 'the schema is still in the WAL');
    const database = await Database.open({ path });
    try {
      const connection = await database.connect();
      const version = await connection.runAndReadAll('SELECT max(version) FROM schema_migrations');
      assert.equal(Number(version.getRows()[0][0]), SCHEMA_VERSION);
      const rewards = await connection.runAndReadAll('SELECT count(*) FROM final_rewards');
      assert.equal(Number(rewards.getRows()[0][0]), 0);
    } finally {
      await database.close();
    }
  });

  it('keeps a file opened by Database.open and then killed (the schema checkpointed at open)', async () => {
    const path = join(tempDir(), 'opened.duckdb');
    const script = `const { Database } = await import(${JSON.stringify(STORAGE)});
      await Database.open({ path: ${JSON.stringify(path)} });
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const database = await Database.open({ path });
    await database.close();
  });
});
