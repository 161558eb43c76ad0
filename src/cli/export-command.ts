import { DEFAULT_SERVER, collectorClient, openReadOnly, serverAnswers } from './collector-target.ts';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AglError } from '../errors/index.ts';
import { EXPORT_FORMATS, EXPORT_WHATS, exportToFile, parseExportRequest } from '../export/index.ts';
import type { ExportRequest, ExportRequestBody } from '../export/index.ts';
import { UsageError } from './sql-command.ts';


export const EXPORT_USAGE = `Usage: agl export --what ${EXPORT_WHATS.join('|')} --format ${EXPORT_FORMATS.join('|')} --out PATH [--db PATH | --server URL] [filters]

Writes a table (or LLM-call triplets for training) to a Parquet or JSON Lines file.
  --what W            spans, rollouts, llm_calls or triplets (prompt, response, reward per LLM call)
  --format F          parquet or jsonl
  --out PATH          the file to write (replaced)
  --server URL        ask a running collector (default: ${DEFAULT_SERVER} when it answers; env AGL_SERVER)
  --db PATH           open the DuckDB file read-only instead (it must not be held by a running collector)
  --token T           bearer token for a collector started with --token (env AGL_TOKEN)
  --since TIME        rows starting at or after TIME (epoch seconds or ISO 8601, UTC when no zone)
  --until TIME        rows starting before TIME
  --rollout ID        rows of this rollout (repeat for several)
  --resources-id ID   rows of rollouts that ran with this resources id`;

/** `agl export`: returns the exit code. */
export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      what: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      db: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      rollout: { type: 'string', multiple: true },
      'resources-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${EXPORT_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`Unexpected argument \`${positionals[0]}\``);
  if (!values.what) throw new UsageError(`--what is required (${EXPORT_WHATS.join(', ')})`);
  if (!values.format) throw new UsageError(`--format is required (${EXPORT_FORMATS.join(', ')})`);
  if (!values.out) throw new UsageError('--out PATH is required');
  if (values.db && values.server) throw new UsageError('Give either --db or --server, not both');
  const body: ExportRequestBody = {
    what: values.what,
    format: values.format,
    filters: {
      since: values.since,
      until: values.until,
      rollout_ids: values.rollout,
      resources_id: values['resources-id'],
    },
  };
  let request: ExportRequest;
  try {
    request = parseExportRequest(body);
  } catch (error) {
    // The same validation as the endpoint's, with the option names of the command line.
    if (error instanceof AglError) throw new UsageError(toOptionNames(error.message));
    throw error;
  }

  const out = resolve(values.out);
  const token = values.token ?? process.env.AGL_TOKEN;
  // An explicit --db beats AGL_SERVER from the environment.
  const server = values.server ?? (values.db ? undefined : process.env.AGL_SERVER);
  let rows: number;
  if (server) rows = await exportFromServer(server, body, out, token);
  else if (values.db) rows = await exportFromFile(values.db, request, out);
  else if (await serverAnswers(DEFAULT_SERVER)) rows = await exportFromServer(DEFAULT_SERVER, body, out, token);
  else rows = await exportFromFile('./agl.duckdb', request, out);
  process.stdout.write(`Wrote ${rows} ${request.what} rows to ${out} (${request.format})\n`);
  return 0;
}

function toOptionNames(message: string): string {
  return message
    .replace('`what`', '--what')
    .replace('`format`', '--format')
    .replace('`since`', '--since')
    .replace('`until`', '--until')
    .replace('`rollout_ids`', '--rollout')
    .replace('`resources_id`', '--resources-id');
}

async function exportFromServer(server: string, body: ExportRequestBody, out: string, token: string | undefined): Promise<number> {
  return (await collectorClient(server, token).export(body, out)).rows;
}

async function exportFromFile(path: string, request: ExportRequest, out: string): Promise<number> {
  const database = await openReadOnly(path, 'export with --server URL instead');
  try {
    return await exportToFile(database, request, out);
  } catch (error) {
    throw new Error(`Export to ${out} failed (does ${dirname(out)} exist?): ${(error as Error).message}`);
  } finally {
    await database.close();
  }
}
