import type { DuckDBConnection } from '@duckdb/node-api';
import { CORE_MIGRATIONS } from './core-migrations.ts';

/** The schema version this build writes. */
export const SCHEMA_VERSION = CORE_MIGRATIONS[CORE_MIGRATIONS.length - 1].version;

/** Applies every migration the database has not seen yet; returns the versions applied. */
export async function migrate(connection: DuckDBConnection): Promise<number[]> {
  await connection.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
  )`);
  const reader = await connection.runAndReadAll('SELECT coalesce(max(version), 0) FROM schema_migrations');
  const current = Number(reader.getRows()[0][0]);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `The database has schema version ${current}, newer than this build's ${SCHEMA_VERSION}: upgrade agentlightning-ts`,
    );
  }
  const applied: number[] = [];
  for (const migration of CORE_MIGRATIONS) {
    if (migration.version <= current) continue;
    await applyMigration(connection, migration.statements, 'INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
      migration.version,
      migration.description,
    ]);
    applied.push(migration.version);
  }
  return applied;
}

/** Runs a migration's statements and the row that records it (`record`, with `values`) in one transaction. */
export async function applyMigration(connection: DuckDBConnection, statements: readonly string[], record: string, values: (string | number)[]): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const statement of statements) await connection.run(statement);
    await connection.run(record, values);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
}
