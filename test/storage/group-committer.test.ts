import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Database, GroupCommitter } from '../../src/storage/index.ts';

let database: Database;
let connection: DuckDBConnection;

before(async () => {
  database = await Database.open({ path: ':memory:' });
  connection = await database.connect();
  await connection.run('CREATE TABLE items (id INTEGER PRIMARY KEY)');
});
after(() => database.close());

/** A committer inserting ids into `items`, one INSERT per group; records each committed group. */
function itemCommitter(groups: number[][]): GroupCommitter<number, DuckDBConnection> {
  return new GroupCommitter<number, DuckDBConnection>({
    lanes: [connection],
    begin: (lane) => lane.run('BEGIN TRANSACTION').then(() => undefined),
    write: (lane, group) => lane.run(`INSERT INTO items VALUES ${group.map((id) => `(${id})`).join(', ')}`).then(() => undefined),
    commit: (lane) => lane.run('COMMIT').then(() => undefined),
    rollback: (lane) => lane.run('ROLLBACK').then(() => undefined),
    onCommitted: (group) => groups.push([...group]),
  });
}

async function storedIds(): Promise<number[]> {
  const reader = await connection.runAndReadAll('SELECT id FROM items ORDER BY id');
  return reader.getRows().map((row) => Number(row[0]));
}

describe('GroupCommitter', () => {
  it('puts writes that arrive while a transaction runs into one shared transaction, in order', async () => {
    await connection.run('DELETE FROM items');
    const groups: number[][] = [];
    const committer = itemCommitter(groups);
    const ids = Array.from({ length: 50 }, (_, index) => index + 1);
    await Promise.all(ids.map((id) => committer.submit(id)));
    assert.deepEqual(groups.flat(), ids, 'every write committed once, in submission order');
    assert.ok(groups.length <= 3, `50 concurrent writes took ${groups.length} transactions`);
    assert.deepEqual(await storedIds(), ids);
  });

  it('resolves a write only after its transaction committed', async () => {
    await connection.run('DELETE FROM items');
    const committer = itemCommitter([]);
    let committed = false;
    const written = committer.submit(7).then(() => {
      committed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(committed, false);
    await written;
    assert.deepEqual(await storedIds(), [7]);
  });

  it('retries each write alone when its group fails: the bad one fails, the others are stored once', async () => {
    await connection.run('DELETE FROM items');
    await connection.run('INSERT INTO items VALUES (3)');
    const groups: number[][] = [];
    const committer = itemCommitter(groups);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((id) => committer.submit(id)));
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.match(String((results[2] as PromiseRejectedResult).reason), /PRIMARY KEY|Duplicate key|constraint/i);
    assert.deepEqual(await storedIds(), [1, 2, 3, 4, 5]);
    assert.deepEqual(groups.flat().sort(), [1, 2, 4, 5], 'onCommitted saw each stored write once, never the failed one');
  });

  it('fails the waiting writes when no transaction can be opened, and keeps working after', async () => {
    await connection.run('DELETE FROM items');
    let refuse = true;
    const committer = new GroupCommitter<number, DuckDBConnection>({
      lanes: [connection],
      begin: async (lane) => {
        if (refuse) throw new Error('no transaction today');
        await lane.run('BEGIN TRANSACTION');
      },
      write: (lane, group) => lane.run(`INSERT INTO items VALUES ${group.map((id) => `(${id})`).join(', ')}`).then(() => undefined),
      commit: (lane) => lane.run('COMMIT').then(() => undefined),
      rollback: (lane) => lane.run('ROLLBACK').then(() => undefined),
    });
    await assert.rejects(committer.submit(1), /no transaction today/);
    refuse = false;
    await committer.submit(2);
    assert.deepEqual(await storedIds(), [2]);
  });

  it('drops writes whose deadline passes while they wait, never writing them; the others commit', async () => {
    await connection.run('DELETE FROM items');
    const groups: number[][] = [];
    // A slow commit holds the queue: writes submitted meanwhile wait past their deadline.
    let slow = true;
    const committer = new GroupCommitter<number, DuckDBConnection>({
      lanes: [connection],
      begin: (lane) => lane.run('BEGIN TRANSACTION').then(() => undefined),
      write: (lane, group) => lane.run(`INSERT INTO items VALUES ${group.map((id) => `(${id})`).join(', ')}`).then(() => undefined),
      commit: async (lane) => {
        if (slow) await new Promise((resolve) => setTimeout(resolve, 400));
        await lane.run('COMMIT');
      },
      rollback: (lane) => lane.run('ROLLBACK').then(() => undefined),
      onCommitted: (group) => groups.push([...group]),
    });
    const first = committer.submitWithDeadline(1, { deadline: Date.now() + 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const expiring = committer.submitWithDeadline(2, { deadline: Date.now() + 100 });
    const lasting = committer.submitWithDeadline(3, { deadline: Date.now() + 10_000 });
    const plain = committer.submit(4);
    assert.equal(await expiring, 'expired');
    // Answered by the sweep, not only when the slow commit lets the next group start.
    assert.ok(Date.now() - started < 300, `expired after ${Date.now() - started} ms`);
    slow = false;
    assert.equal(await first, 'committed');
    assert.equal(await lasting, 'committed');
    await plain;
    assert.deepEqual(await storedIds(), [1, 3, 4]);
    assert.deepEqual(groups.flat(), [1, 3, 4], 'onCommitted never sees the expired write');
  });

  it('bounds the weight of a group; a write heavier than the bound still goes alone', async () => {
    await connection.run('DELETE FROM items');
    const groups: number[][] = [];
    const committer = new GroupCommitter<number, DuckDBConnection>({
      lanes: [connection],
      begin: (lane) => lane.run('BEGIN TRANSACTION').then(() => undefined),
      write: (lane, group) => lane.run(`INSERT INTO items VALUES ${group.map((id) => `(${id})`).join(', ')}`).then(() => undefined),
      commit: (lane) => lane.run('COMMIT').then(() => undefined),
      rollback: (lane) => lane.run('ROLLBACK').then(() => undefined),
      onCommitted: (group) => groups.push([...group]),
      weigh: (id) => (id === 100 ? 50 : 1),
      maxGroupWeight: 3,
    });
    const ids = [1, 2, 3, 4, 5, 100, 6, 7];
    await Promise.all(ids.map((id) => committer.submit(id)));
    assert.deepEqual(groups.flat(), ids);
    for (const group of groups) {
      const weight = group.reduce((sum, id) => sum + (id === 100 ? 50 : 1), 0);
      assert.ok(weight <= 3 || group.length === 1, `group ${JSON.stringify(group)} weighs ${weight}`);
    }
  });

  it('runs afterCommit once a group is answered and before the next group commits', async () => {
    await connection.run('DELETE FROM items');
    const events: string[] = [];
    let releaseAfterCommit!: () => void;
    const afterCommitHeld = new Promise<void>((resolve) => {
      releaseAfterCommit = resolve;
    });
    const committer = new GroupCommitter<number, DuckDBConnection>({
      lanes: [connection],
      begin: (lane) => lane.run('BEGIN TRANSACTION').then(() => undefined),
      write: (lane, group) => lane.run(`INSERT INTO items VALUES ${group.map((id) => `(${id})`).join(', ')}`).then(() => undefined),
      commit: (lane) => lane.run('COMMIT').then(() => events.push('commit')).then(() => undefined),
      rollback: (lane) => lane.run('ROLLBACK').then(() => undefined),
      afterCommit: async () => {
        events.push('after commit');
        if (events.filter((event) => event === 'after commit').length === 1) await afterCommitHeld;
        throw new Error('ignored: a failed checkpoint loses nothing');
      },
    });
    await committer.submit(1);
    events.push('answered 1');
    const second = committer.submit(2).then(() => events.push('answered 2'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(events, ['commit', 'after commit', 'answered 1'], 'the second group waits for afterCommit');
    releaseAfterCommit();
    await second;
    await committer.flush();
    assert.deepEqual(events.slice(0, 4), ['commit', 'after commit', 'answered 1', 'commit']);
    assert.deepEqual(events.slice(4).sort(), ['after commit', 'answered 2']);
    assert.deepEqual(await storedIds(), [1, 2]);
  });

  it('refuses an empty list of lanes', () => {
    const noop = async (): Promise<void> => {};
    assert.throws(() => new GroupCommitter({ lanes: [], begin: noop, write: noop, commit: noop, rollback: noop }), RangeError);
  });
});
