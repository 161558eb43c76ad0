import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { apoDataForStore } from '../../src/algorithm/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

/** APO reads rollouts and LLM calls with SQL: through a StoreClient, over the collector's HTTP API. */
describe('APO data over HTTP', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ token: 'apo-secret' });
  });
  after(() => collector.close());

  it("queries with the StoreClient's token, or an explicit one, against a collector that requires one", async () => {
    const viaClient = apoDataForStore(new StoreClient({ baseUrl: collector.url, token: 'apo-secret' }));
    assert.deepEqual(await viaClient.query('SELECT 42 AS answer'), [{ answer: 42 }]);
    const explicit = apoDataForStore(new StoreClient({ baseUrl: collector.url, token: 'wrong' }), 'apo-secret');
    assert.deepEqual(await explicit.query('SELECT 1 AS one'), [{ one: 1 }]);
    const without = apoDataForStore(new StoreClient({ baseUrl: collector.url, token: 'wrong' }));
    await assert.rejects(without.query('SELECT 1'), /401|Authorization/);
  });
});
