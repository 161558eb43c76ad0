import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exportToFile, parseExportRequest } from '../../src/export/index.ts';
import type { Database, QueryGate } from '../../src/storage/index.ts';
import { readJsonBody } from '../http/json-body.ts';
import type { RouteTable } from '../http/route-table.ts';

/** The content type of each export format. */
const CONTENT_TYPES = { parquet: 'application/vnd.apache.parquet', jsonl: 'application/x-ndjson' } as const;

/**
 * `POST /v1/agl/export` with `{what, format, filters: {since, until, rollout_ids, resources_id}}`:
 * runs the export's COPY on the collector's database into a temporary file, streams the file back
 * (`X-Agl-Export-Rows` says how many rows) and deletes it. The SQL is built from the validated
 * parameters only; invalid parameters answer 400. Exports take turns with user SQL at `gate`.
 */
export function registerExportRoutes(routes: RouteTable, database: Database, gate: QueryGate): void {
  routes.on('POST', '/v1/agl/export', async ({ request, response }) => {
    const exportRequest = parseExportRequest(await readJsonBody(request));
    const dir = await mkdtemp(join(tmpdir(), 'agl-export-'));
    try {
      const path = join(dir, `export.${exportRequest.format}`);
      const rows = await gate.run(() => exportToFile(database, exportRequest, path));
      const { size } = await stat(path);
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[exportRequest.format],
        'content-length': size,
        'x-agl-export-rows': String(rows),
      });
      await pipeline(createReadStream(path), response);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
