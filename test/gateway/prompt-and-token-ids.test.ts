import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportToFile } from '../../src/export/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { json, startGatewayHarness } from './gateway-harness.ts';
import type { GatewayHarness } from './gateway-harness.ts';

describe('LLM gateway: token ids and prompt application', () => {
  let harness: GatewayHarness;
  before(async () => {
    harness = await startGatewayHarness();
  });
  after(() => harness.close());

  it('records the token ids the upstream returns and exports them with the triplets', async () => {
    const started = await harness.collector.store.startRollout({ input: {} });
    const client = harness.client(started.rollout_id, started.attempt.attempt_id);
    const body = { model: 'm', messages: [{ role: 'user' as const, content: 'Calculate the sum from 1 to 4. The range is inclusive.' }], return_token_ids: true };
    const answer = (await client.chat.completions.create(body)) as unknown as { prompt_token_ids: number[]; choices: { token_ids: number[] }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    assert.equal(answer.prompt_token_ids.length, answer.usage.prompt_tokens);
    assert.equal(answer.choices[0].token_ids.length, answer.usage.completion_tokens);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    for await (const part of stream) void part;
    await client.chat.completions.create({ model: 'm', messages: body.messages });
    await harness.collector.gatewayRecorder.flush();

    const out = join(tempDir(), 'triplets.jsonl');
    await exportToFile(harness.collector.database, { what: 'triplets', format: 'jsonl', filters: { rolloutIds: [started.rollout_id] } }, out);
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0].prompt_token_ids, answer.prompt_token_ids);
    assert.deepEqual(rows[0].response_token_ids, answer.choices[0].token_ids);
    // Streamed: the same request gives the same ids, gathered from the chunks.
    assert.deepEqual(rows[1].prompt_token_ids, answer.prompt_token_ids);
    assert.deepEqual(rows[1].response_token_ids, answer.choices[0].token_ids);
    // Not asked: none.
    assert.equal(rows[2].prompt_token_ids, null);
    assert.equal(rows[2].response_token_ids, null);
  });

  it("puts the rollout's rendered prompt into the request: system replaced, system inserted, marker replaced", async () => {
    const store = harness.collector.store;
    const prompt = { resource_type: 'prompt_template', template: 'You book rooms for {user}. Prefer the closest room.', engine: 'f-string' };
    const system = await store.addResources({ prompt_template: prompt, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system' } });
    const marker = await store.addResources({ prompt_template: prompt, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'marker' } });
    const rendered = 'You book rooms for Ada. Prefer the closest room.';
    const cases = [
      { resourcesId: system.resources_id, messages: [{ role: 'system', content: 'hard-coded prompt' }, { role: 'user', content: 'Hello' }], expected: [rendered, 'Hello'] },
      { resourcesId: system.resources_id, messages: [{ role: 'user', content: 'Hello' }], expected: [rendered, 'Hello'] },
      { resourcesId: marker.resources_id, messages: [{ role: 'user', content: 'Instructions: {{agl.prompt}} Now: Hello' }], expected: [`Instructions: ${rendered} Now: Hello`] },
    ];
    for (const [index, { resourcesId, messages, expected }] of cases.entries()) {
      const started = await store.startRollout({ input: { user: 'Ada' }, resourcesId });
      await harness.client(started.rollout_id, started.attempt.attempt_id).chat.completions.create({ model: 'm', messages: messages as never });
      const [call] = await harness.rows(`SELECT input_messages FROM llm_calls WHERE rollout_id = '${started.rollout_id}'`);
      assert.deepEqual(json(call.input_messages).map((message: { content: string }) => message.content), expected, `case ${index}`);
      const [span] = await harness.rows(`SELECT attributes FROM spans WHERE rollout_id = '${started.rollout_id}'`);
      const attributes = json(span.attributes);
      assert.equal(attributes['agentlightning.gateway.prompt_applied'], true);
      assert.equal(attributes['agentlightning.resources_id'], resourcesId);
    }
    // A task without the template's field: a clear 400, nothing sent upstream.
    const broken = await store.startRollout({ input: { other: 1 }, resourcesId: system.resources_id });
    await assert.rejects(harness.client(broken.rollout_id, broken.attempt.attempt_id).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /prompt template/);
      return true;
    });
  });

  it("renders the prompt by the project's one rule: the task's own fields, else its task_input's (Agent Lightning's layout), as AGL_PROMPT", async () => {
    const store = harness.collector.store;
    const prompt = { resource_type: 'prompt_template', template: 'Rooms for {user}, {attendees} people.', engine: 'f-string' };
    const resources = await store.addResources({ prompt_template: prompt, gateway_prompt: { resource_type: 'gateway_prompt', mode: 'system', prompt: 'prompt_template' } });
    const cases = [
      { input: { id: 't1', task_input: { user: 'Grace', attendees: 4 }, expected_choice: 'Orion' }, expected: 'Rooms for Grace, 4 people.' },
      { input: { user: 'Ada', attendees: 2, task_input: { user: 'ignored' } }, expected: 'Rooms for Ada, 2 people.' },
    ];
    for (const { input, expected } of cases) {
      const started = await store.startRollout({ input, resourcesId: resources.resources_id });
      await harness.client(started.rollout_id, started.attempt.attempt_id).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] });
      const [call] = await harness.rows(`SELECT input_messages FROM llm_calls WHERE rollout_id = '${started.rollout_id}'`);
      assert.deepEqual(json(call.input_messages).map((message: { content: string }) => message.content), [expected, 'Hello']);
    }
    // Neither the task nor its task_input fills the template: the 400 names the placeholder.
    const broken = await store.startRollout({ input: { task_input: { user: 'Lin' } }, resourcesId: resources.resources_id });
    await assert.rejects(harness.client(broken.rollout_id, broken.attempt.attempt_id).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /placeholder `user` has no value .*its task_input.s: user/);
      return true;
    });
  });
});
