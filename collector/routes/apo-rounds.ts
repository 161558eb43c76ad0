import { InvalidRequestError } from '../../src/errors/index.ts';
import { ApoRoundsTable, apoRoundProblem } from '../../src/algorithm/index.ts';
import type { ApoRoundRecord } from '../../src/algorithm/index.ts';
import type { Database } from '../../src/storage/index.ts';
import { readJsonBody } from '../http/json-body.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteTable } from '../http/route-table.ts';

/**
 * `POST /v1/agl/apo/rounds` with an `ApoRoundRecord`: records one APO round in `apo_rounds` (read
 * it back with SQL).
 */
export function registerApoRoundsRoutes(routes: RouteTable, database: Database): void {
  const table = new ApoRoundsTable(database);
  routes.on('POST', '/v1/agl/apo/rounds', async ({ request, response }) => {
    const body = await readJsonBody(request);
    const problem = apoRoundProblem(body);
    if (problem) throw new InvalidRequestError(problem);
    await table.record(body as ApoRoundRecord);
    sendJson(response, 200, { status: 'ok' });
  });
}
