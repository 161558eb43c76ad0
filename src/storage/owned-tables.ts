import type { DuckDBConnection } from '@duckdb/node-api';
import { applyMigration } from './migrate.ts';

/** One schema change of a module's tables. Versions count from 1 for each owner. */
export interface TableMigration {
  version: number;
  description: string;
  statements: readonly string[];
}

/**
 * Tables that a module outside storage (an algorithm, e.g. APO's `apo_rounds`) owns in the
 * collector's database, with their history. The module registers them with {@link registerTables}
 * when it is loaded; every read-write `Database.open` afterwards brings them up to date, after the
 * core schema. Never edit an applied migration: add a new one.
 */
export interface OwnedTables {
  /** Who owns them, e.g. `apo`: the key of their history in the `table_migrations` table. */
  owner: string;
  migrations: readonly TableMigration[];
}

const registered = new Map<string, OwnedTables>();

/** Registers a module's tables (once per owner; registering the same object again does nothing). */
export function registerTables(tables: OwnedTables): void {
  const known = registered.get(tables.owner);
  if (known === tables) return;
  if (known) throw new Error(`Tables of \`${tables.owner}\` are registered already`);
  tables.migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new RangeError(`Expected the migrations of \`${tables.owner}\` to be numbered 1, 2, 3…; got \`${migration.version}\` at ${index + 1}`);
    }
  });
  registered.set(tables.owner, tables);
}

/** The tables registered so far, in the order they were. */
export function registeredTables(): OwnedTables[] {
  return [...registered.values()];
}

/**
 * Applies the migrations of each owner's tables that the database has not seen yet (recorded in
 * `table_migrations`, which core migration 10 creates); returns them as `owner@version`.
 */
export async function migrateOwnedTables(connection: DuckDBConnection, tables: readonly OwnedTables[] = registeredTables()): Promise<string[]> {
  const applied: string[] = [];
  for (const { owner, migrations } of tables) {
    const reader = await connection.runAndReadAll('SELECT coalesce(max(version), 0) FROM table_migrations WHERE owner = $1', [owner]);
    const current = Number(reader.getRows()[0][0]);
    if (current > migrations.length) {
      throw new Error(`The tables of \`${owner}\` have schema version ${current}, newer than this build's ${migrations.length}: upgrade agentlightning-ts`);
    }
    for (const migration of migrations.slice(current)) {
      await applyMigration(connection, migration.statements, 'INSERT INTO table_migrations (owner, version, description) VALUES ($1, $2, $3)', [
        owner,
        migration.version,
        migration.description,
      ]);
      applied.push(`${owner}@${migration.version}`);
    }
  }
  return applied;
}
