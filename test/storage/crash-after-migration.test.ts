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
    // Opens (migrating a new file), then dies with SIGKILL before any checkpoint.
    const script = `const { Database } = await import(${JSON.stringify(STORAGE)});
      await Database.open({ path: ${JSON.stringify(path)} });
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
});
