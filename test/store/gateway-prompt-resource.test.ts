import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { Database } from '../../src/storage/index.ts';
import { DuckDBLightningStore, StoreClient, StoreValidationError } from '../../src/store/index.ts';
import type { GatewayPromptResource, NamedResources, ResourcesUpdate } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * `gateway_prompt`, our resource type beside Agent Lightning's union (it turns on the gateway's
 * prompt application): accepted by the store API and the in-process store, checked field by field
 * with 422, and kept as sent through the resources table.
 */

const PROMPT = { resource_type: 'prompt_template', template: 'Find a room for {attendees} people', engine: 'f-string' };
const SYSTEM: GatewayPromptResource = { resource_type: 'gateway_prompt', mode: 'system', prompt: 'prompt_template' };

let collector: Collector;

before(async () => {
  collector = await startTestCollector();
});
after(() => collector.close());

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(collector.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

describe('the gateway_prompt resource', () => {
  it('is added and updated over HTTP and read back as sent (GET /resources/latest, StoreClient)', async () => {
    const added = await post('/v1/agl/resources', { prompt_template: PROMPT, gateway_prompt: SYSTEM });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body.resources, { prompt_template: PROMPT, gateway_prompt: SYSTEM });

    const marker = { resource_type: 'gateway_prompt', mode: 'marker' };
    const updated = await post(`/v1/agl/resources/${added.body.resources_id}`, { prompt_template: { ...PROMPT, template: 'v2 {attendees}' }, gateway_prompt: marker });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.version, 2);

    const latest = (await (await fetch(`${collector.url}/v1/agl/resources/latest`)).json()) as ResourcesUpdate;
    assert.equal(latest.resources_id, added.body.resources_id);
    assert.deepEqual(latest.resources.gateway_prompt, marker);

    const client = new StoreClient({ baseUrl: collector.url });
    const read = await client.getLatestResources();
    assert.deepEqual(read?.resources.gateway_prompt, marker);
    const viaClient = await client.addResources({ prompt_template: PROMPT, gateway_prompt: SYSTEM });
    assert.deepEqual((await client.getResources(viaClient.resources_id))?.resources.gateway_prompt, SYSTEM);
  });

  it('answers a malformed one with 422 naming the field', async () => {
    const cases: [NamedResources | Record<string, unknown>, (string | number)[], string][] = [
      [{ prompt_template: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt' } }, ['body', 'gateway_prompt', 'gateway_prompt', 'mode'], 'missing'],
      [{ prompt_template: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'user' } }, ['body', 'gateway_prompt', 'gateway_prompt', 'mode'], 'enum'],
      [{ prompt_template: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system', prompt: 3 } }, ['body', 'gateway_prompt', 'gateway_prompt', 'prompt'], 'string_type'],
      [{ prompt_template: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system', prompt: 'other' } }, ['body', 'gateway_prompt', 'gateway_prompt', 'prompt'], 'value_error'],
      [
        { prompt_template: PROMPT, llm: { resource_type: 'llm', endpoint: 'http://127.0.0.1:1/v1', model: 'm' }, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system', prompt: 'llm' } },
        ['body', 'gateway_prompt', 'gateway_prompt', 'prompt'],
        'value_error',
      ],
      [{ prompt_template: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system', role: 'system' } }, ['body', 'gateway_prompt', 'gateway_prompt', 'role'], 'extra_forbidden'],
      [{ gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system' } }, ['body', 'gateway_prompt', 'gateway_prompt', 'prompt'], 'missing'],
      [{ a: PROMPT, b: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'marker' } }, ['body', 'gateway_prompt', 'gateway_prompt', 'prompt'], 'missing'],
      [{ gateway_prompt: { resource_type: 'gateway_prompts', mode: 'system' } }, ['body', 'gateway_prompt', 'resource_type'], 'union_tag_invalid'],
    ];
    for (const [body, loc, type] of cases) {
      const answer = await post('/v1/agl/resources', body);
      assert.equal(answer.status, 422, JSON.stringify(body));
      assert.deepEqual([answer.body.detail[0].loc, answer.body.detail[0].type], [loc, type], JSON.stringify(body));
    }
    // Without `prompt`, the single prompt template is the one applied: accepted.
    assert.equal((await post('/v1/agl/resources', { main: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'marker' } })).status, 201);
  });

  it('is checked by the in-process store as well, and is read back from the resources table after a close and reopen', async () => {
    const path = join(tempDir(), 'resources.duckdb');
    let database = await Database.open({ path });
    let store = await DuckDBLightningStore.open(database);
    await assert.rejects(
      store.addResources({ prompt_template: PROMPT, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'inline' } }),
      (error: unknown) => error instanceof StoreValidationError && error.issues[0]!.loc.join('.') === 'resources.gateway_prompt.mode',
    );
    const added = await store.addResources({ prompt_template: PROMPT, gateway_prompt: SYSTEM });
    await store.close();
    await database.close();

    database = await Database.open({ path });
    store = await DuckDBLightningStore.open(database);
    try {
      assert.deepEqual((await store.getLatestResources())?.resources, { prompt_template: PROMPT, gateway_prompt: SYSTEM });
      assert.equal((await store.getLatestResources())?.resources_id, added.resources_id);
    } finally {
      await store.close();
      await database.close();
    }
  });
});
