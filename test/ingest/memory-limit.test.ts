import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitAdmission } from '../../src/ingest/commit-admission.ts';
import { MemoryLimit } from '../../src/ingest/memory-limit.ts';

const MiB = 1024 * 1024;

describe('MemoryLimit', () => {
  it('reads the RSS at most once per sample period and says when it is above the limit', () => {
    let reads = 0;
    let rss = 100 * MiB;
    const limit = new MemoryLimit({ limitBytes: 640 * MiB, sampleMillis: 50, readRss: () => (reads++, rss) });
    assert.equal(limit.exceeded(0), null);
    rss = 700 * MiB;
    assert.equal(limit.exceeded(10), null, 'the reading of 10 ms ago still holds');
    assert.equal(reads, 1);
    assert.equal(limit.exceeded(60), 700 * MiB);
    assert.equal(reads, 2);
  });

  it('refuses options that cannot bound anything', () => {
    assert.throws(() => new MemoryLimit({ limitBytes: 0 }), /Expected `limitBytes` to be a number > 0, got `0`/);
    assert.throws(() => new MemoryLimit({ limitBytes: MiB, leanBytes: -1 }), /Expected `leanBytes` to be a number ≥ 0/);
    assert.throws(() => new MemoryLimit({ limitBytes: MiB, sampleMillis: Number.NaN }), /Expected `sampleMillis`/);
  });
});

describe('CommitAdmission with a memory limit', () => {
  const waitForever = () => new Promise<boolean>(() => {});

  it('above the limit takes work only up to the lean working set, and always a request alone', () => {
    let rss = 900 * MiB;
    const limit = new MemoryLimit({ limitBytes: 640 * MiB, leanBytes: 4 * MiB, sampleMillis: 0, readRss: () => rss });
    const admission = new CommitAdmission(60_000, limit);
    assert.equal(admission.admit(16 * MiB, Date.now()), null, 'nothing in hand: a request always gets through alone');
    void admission.track(3 * MiB, waitForever, (done) => done);
    assert.equal(admission.admit(MiB, Date.now()), null, 'within the working set');
    const refused = admission.admit(2 * MiB, Date.now());
    assert.equal(refused?.kind, 'retryable');
    assert.match(refused!.message, /holds 900 MiB of memory, above its 640 MiB limit \(agl serve --max-memory-mib\); nothing of this request was stored/);
    assert.ok(refused!.retryAfterMillis >= 1000);
    rss = 500 * MiB;
    assert.equal(admission.admit(2 * MiB, Date.now()), null, 'below the limit the usual rule applies');
  });

  it('without a limit, memory plays no part', () => {
    const admission = new CommitAdmission(60_000);
    void admission.track(3 * MiB, waitForever, (done) => done);
    assert.equal(admission.admit(64 * MiB, Date.now()), null);
  });
});
