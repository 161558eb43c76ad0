import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import type { ApoRoundRecord } from '../../src/algorithm/index.ts';
import { ForbiddenError, InvalidRequestError, UnauthorizedError } from '../../src/errors/index.ts';
import { ExportFileError, StoreClient, StoreUnreachableError } from '../../src/store/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** The collector's SQL, export and APO round records through the one client, `StoreClient`. */
describe('StoreClient: sql, export and APO rounds', () => {
  let collector: Collector;
  let client: StoreClient;
  before(async () => {
    collector = await startTestCollector({ token: 'sql-secret' });
    client = new StoreClient({ baseUrl: collector.url, token: 'sql-secret' });
  });
  after(() => collector.close());

  it('runs a read-only query and gives its rows, as the result or as objects', async () => {
    const result = await client.sql('SELECT 42 AS answer, \'x\' AS letter', { maxRows: 10 });
    assert.deepEqual(result.columns.map((column) => column.name), ['answer', 'letter']);
    assert.deepEqual(result.rows, [[42, 'x']]);
    assert.deepEqual(await client.sqlRows('SELECT 1 AS one'), [{ one: 1 }]);
  });

  it("throws the collector's refusals as typed errors that say what was refused", async () => {
    await assert.rejects(client.sql('SELEC nonsense'), (error: Error) => error instanceof InvalidRequestError && /^The collector refused the query \(400\): /.test(error.message));
    await assert.rejects(client.sql('CREATE TABLE t (x INTEGER)'), ForbiddenError);
    await assert.rejects(new StoreClient({ baseUrl: collector.url, token: 'wrong' }).sql('SELECT 1'), UnauthorizedError);
  });

  it('says when the collector cannot be reached', async () => {
    const closed = new StoreClient({ baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
    await assert.rejects(closed.sql('SELECT 1'), (error: Error) => error instanceof StoreUnreachableError && /^Cannot reach the collector at http:\/\/127\.0\.0\.1:9: /.test(error.message));
  });

  it('exports into a file and counts its rows; a file it cannot write is an ExportFileError', async () => {
    const out = join(tempDir(), 'rollouts.jsonl');
    const answer = await client.export({ what: 'rollouts', format: 'jsonl' }, out);
    assert.equal(answer.rows, 0);
    assert.equal(readFileSync(out, 'utf8'), '');
    await assert.rejects(client.export({ what: 'rollouts', format: 'jsonl' }, join(tempDir(), 'missing', 'x.jsonl')), ExportFileError);
    await assert.rejects(client.export({ what: 'nothing', format: 'jsonl' }, out), (error: Error) => error instanceof InvalidRequestError && /^The collector refused the export \(400\): /.test(error.message));
  });

  it('records an APO round in apo_rounds', async () => {
    const round: ApoRoundRecord = {
      run_id: 'client-run',
      round: 0,
      completed_at: 1_700_000_000,
      candidates: [],
      beam: [],
      leader_resources_id: null,
      leader_val_score: 0.5,
      best_resources_id: null,
      best_val_score: 0.5,
      rejected_edits: 0,
      timed_out_rollouts: 0,
      timed_out_rollout_ids: [],
      failed_rollouts: 0,
      critiques_without_llm_calls: 0,
      run_fingerprint: 'fp',
    };
    await client.recordApoRound(round);
    assert.deepEqual(await queryRows(collector, "SELECT run_id, round, best_val_score FROM apo_rounds WHERE run_id = 'client-run'"), [
      { run_id: 'client-run', round: 0, best_val_score: 0.5 },
    ]);
  });
});
