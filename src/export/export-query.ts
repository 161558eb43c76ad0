import { randomUUID } from 'node:crypto';
import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../storage/index.ts';
import type { ExportFilters, ExportRequest } from './export-request.ts';

/**
 * The SELECT of an export, built only from a validated {@link ExportRequest}: strings enter it as
 * escaped SQL literals, times as integers.
 *
 * Triplets: one row per LLM call with a rollout id, in call order within its attempt
 * (`sequence_id`, then start time, then span id; `index` counts from 0 over all the attempt's calls,
 * so it stays stable under a time filter). `reward` is the attempt's final primary reward (the
 * `final_rewards` view: the primary reward of the latest reward span by `sequence_id`, then time)
 * given to every call of the attempt, as Agent Lightning's trainer does (`rollout.final_reward`
 * for each triplet of a rollout); null when the attempt has no reward. Rewards are not filtered by time.
 * `prompt_token_ids` / `response_token_ids` are the call span's `agentlightning.prompt_token_ids` /
 * `agentlightning.response_token_ids` (recorded by the LLM gateway when the upstream returns token
 * ids, e.g. vLLM's `return_token_ids`), null otherwise; read from the span here rather than added to
 * the `llm_calls` view, which would then join `spans` for every reader.
 */
export function buildExportSelect(request: ExportRequest): string {
  const { filters } = request;
  switch (request.what) {
    case 'rollouts':
      return `SELECT rollout_id, input, mode, resources_id, status, start_time, end_time, max_attempts, retry_condition,
          timeout_seconds, unresponsive_seconds, metadata, attempt_count, latest_attempt_id
        FROM rollouts
        WHERE ${conditions([
          ...rolloutConditions('rollout_id', filters),
          filters.resourcesId !== undefined ? `resources_id = ${literal(filters.resourcesId)}` : null,
          filters.sinceMicros !== undefined ? `start_time >= ${filters.sinceMicros / 1e6}` : null,
          filters.untilMicros !== undefined ? `start_time < ${filters.untilMicros / 1e6}` : null,
        ])}
        ORDER BY created_order`;
    case 'spans':
      return `SELECT * FROM spans
        WHERE ${conditions([
          ...rolloutConditions('rollout_id', filters),
          ...resourcesConditions('rollout_id', filters),
          filters.sinceMicros !== undefined ? `start_time_unix_nano >= ${filters.sinceMicros}::BIGINT * 1000` : null,
          filters.untilMicros !== undefined ? `start_time_unix_nano < ${filters.untilMicros}::BIGINT * 1000` : null,
        ])}
        ORDER BY rollout_id NULLS LAST, attempt_id NULLS FIRST, sequence_id NULLS LAST, start_time_unix_nano, span_id`;
    case 'llm_calls':
      return `SELECT * FROM llm_calls
        WHERE ${conditions([...rolloutConditions('rollout_id', filters), ...resourcesConditions('rollout_id', filters), ...timeConditions('start_time', filters)])}
        ORDER BY rollout_id NULLS LAST, attempt_id NULLS FIRST, sequence_id NULLS LAST, start_time, span_id`;
    case 'triplets':
      return `WITH calls AS (
          SELECT *,
            (row_number() OVER (PARTITION BY rollout_id, attempt_id ORDER BY sequence_id NULLS LAST, start_time, span_id) - 1)::INTEGER AS call_index
          FROM llm_calls
          WHERE ${conditions(['rollout_id IS NOT NULL', ...rolloutConditions('rollout_id', filters), ...resourcesConditions('rollout_id', filters)])}
        ),
        finals AS (
          SELECT rollout_id, attempt_id, value FROM final_rewards
          WHERE ${conditions(rolloutConditions('rollout_id', filters))}
        )
        SELECT c.rollout_id, c.attempt_id, c.call_index AS "index", c.input_messages AS prompt, c.output_messages AS response,
          f.value AS reward, c.model, c.input_tokens, c.output_tokens, c.sequence_id, c.span_id, c.trace_id, c.start_time, c.end_time,
          TRY_CAST(json_extract(s.attributes, '$."agentlightning.prompt_token_ids"') AS BIGINT[]) AS prompt_token_ids,
          TRY_CAST(json_extract(s.attributes, '$."agentlightning.response_token_ids"') AS BIGINT[]) AS response_token_ids
        FROM calls c LEFT JOIN finals f ON f.rollout_id = c.rollout_id AND f.attempt_id IS NOT DISTINCT FROM c.attempt_id
          LEFT JOIN spans s ON s.trace_id = c.trace_id AND s.span_id = c.span_id
        WHERE ${conditions(timeConditions('c.start_time', filters))}
        ORDER BY c.rollout_id, c.attempt_id NULLS FIRST, c.call_index`;
  }
}

/** The `COPY (SELECT …) TO 'path' (FORMAT …)` statement of an export. */
export function buildExportCopy(request: ExportRequest, path: string): string {
  const options = request.format === 'parquet' ? 'FORMAT parquet' : 'FORMAT json';
  return `COPY (${buildExportSelect(request)}) TO ${literal(path)} (${options})`;
}

/**
 * Runs an export into `path` (overwritten) on `database`; returns the number of rows written.
 * DuckDB may write only into the database's scratch directory (see `Database`), so the COPY goes
 * there and the file is then moved to `path`.
 */
export async function exportToFile(database: Database, request: ExportRequest, path: string): Promise<number> {
  const scratch = join(await database.ensureScratchDirectory(), `export-${randomUUID()}.${request.format}`);
  const connection = await database.connectForReading();
  try {
    const result = await connection.run(buildExportCopy(request, scratch));
    await moveFile(scratch, path);
    return Number(result.rowsChanged);
  } finally {
    database.release(connection);
    await rm(scratch, { force: true });
  }
}

/** Renames `from` to `to`, copying when they are on different file systems. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
  }
}

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function conditions(list: (string | null)[]): string {
  const kept = list.filter((item): item is string => item !== null);
  return kept.length === 0 ? 'true' : kept.join(' AND ');
}

function rolloutConditions(column: string, filters: ExportFilters): string[] {
  return filters.rolloutIds ? [`${column} IN (${filters.rolloutIds.map(literal).join(', ')})`] : [];
}

function resourcesConditions(column: string, filters: ExportFilters): string[] {
  return filters.resourcesId !== undefined
    ? [`${column} IN (SELECT rollout_id FROM rollouts WHERE resources_id = ${literal(filters.resourcesId)})`]
    : [];
}

function timeConditions(column: string, filters: ExportFilters): string[] {
  const list: string[] = [];
  if (filters.sinceMicros !== undefined) list.push(`${column} >= make_timestamp(${filters.sinceMicros}::BIGINT)`);
  if (filters.untilMicros !== undefined) list.push(`${column} < make_timestamp(${filters.untilMicros}::BIGINT)`);
  return list;
}
