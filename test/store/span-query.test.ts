import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from '../../src/storage/index.ts';
import { DuckDBLightningStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

let database: Database;
let store: DuckDBLightningStore;
const ROLLOUTS = ['ro-plain', "ro-it's", 'ro-\\\'; DROP TABLE spans; --'];

before(async () => {
  const path = join(tempDir(), 'span-query.duckdb');
  // Create the schema, then write spans as the sink would (5 per rollout, attempt at-1).
  await (await Database.open({ path })).close();
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  for (const [r, rolloutId] of ROLLOUTS.entries()) {
    for (let index = 1; index <= 5; index++) {
      await connection.run(
        `INSERT INTO spans (trace_id, span_id, name, kind, start_time_unix_nano, end_time_unix_nano, status_code, attributes, resource,
           rollout_id, attempt_id, sequence_id, events, links, flags, dropped_attributes_count, dropped_events_count, dropped_links_count, received_at)
         VALUES ($trace, $span, $name, 'INTERNAL', $index, $index, 'UNSET', '{}', '{}', $rollout, 'at-1', $index, '[]', '[]', 0, 0, 0, 0, now())`,
        { trace: 'a'.repeat(32), span: `${r}`.padStart(8, '0') + `${index}`.padStart(8, '0'), name: `span${index}`, index, rollout: rolloutId },
      );
    }
  }
  connection.closeSync();
  instance.closeSync();
  database = await Database.open({ path });
  store = await DuckDBLightningStore.open(database, { watchdogIntervalMillis: 0 });
});
after(async () => {
  await store.close();
  await database.close();
});

describe('span queries', () => {
  it('finds the spans of any rollout id, quotes and all', async () => {
    for (const rolloutId of ROLLOUTS) {
      const page = await store.querySpans({ rolloutId, attemptId: 'at-1' });
      assert.deepEqual(page.items.map((span) => span.rollout_id), Array(5).fill(rolloutId));
      assert.equal(page.total, 5);
    }
    assert.equal((await store.querySpans({ rolloutId: "ro-it'" })).total, 0);
  });

  it('counts the total on every kind of page', async () => {
    const rolloutId = 'ro-plain';
    const cases: [number, number, number, number][] = [
      // limit, offset, items, total
      [-1, 0, 5, 5],
      [-1, 3, 2, 5],
      [-1, 9, 0, 5],
      [2, 0, 2, 5],
      [2, 4, 1, 5],
      [10, 0, 5, 5],
      [10, 5, 0, 5],
      [10, 7, 0, 5],
    ];
    for (const [limit, offset, items, total] of cases) {
      const page = await store.querySpans({ rolloutId, attemptId: 'at-1', limit, offset });
      assert.deepEqual([page.items.length, page.total], [items, total], `limit ${limit}, offset ${offset}`);
    }
    const none = await store.querySpans({ rolloutId: 'ro-none', limit: -1 });
    assert.deepEqual([none.items.length, none.total], [0, 0]);
    const filtered = await store.querySpans({ rolloutId, name: 'span2', limit: -1 });
    assert.deepEqual([filtered.items.map((span) => span.name), filtered.total], [['span2'], 1]);
  });
});
