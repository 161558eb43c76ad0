import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { LocalApoData, RemoteApoData, apoDataForStore, runAlgorithm } from '../../src/algorithm/index.ts';
import type { AlgorithmContext } from '../../src/algorithm/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

/** An algorithm's SQL comes in its context (`context.data`), found by the store's type, not by a side channel. */
describe('context.data', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector();
  });
  after(() => collector.close());

  it("is the collector's database in process, and its HTTP API through a StoreClient", async () => {
    const seen: AlgorithmContext[] = [];
    const algorithm = async (context: AlgorithmContext) => {
      seen.push(context);
      return context.data!.query('SELECT 7 AS seven');
    };
    const log = createLogger('silent');
    assert.deepEqual(await runAlgorithm(algorithm, { store: collector.store, log }), [{ seven: 7 }]);
    assert.deepEqual(await runAlgorithm(algorithm, { store: collector.url, log }), [{ seven: 7 }]);
    assert.ok(seen[0]!.data instanceof LocalApoData);
    assert.ok(seen[1]!.data instanceof RemoteApoData);
  });

  it('is refused, with what to give instead, for a store it cannot find SQL behind', () => {
    assert.throws(() => apoDataForStore({} as never), /APO needs SQL access to the store/);
  });
});
