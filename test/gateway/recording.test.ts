import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, ROOM_TOOL, startGatewayHarness } from './gateway-harness.ts';
import type { GatewayHarness } from './gateway-harness.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

describe('LLM gateway: recording', () => {
  let harness: GatewayHarness;
  before(async () => {
    harness = await startGatewayHarness();
  });
  after(() => harness.close());

  it('records plain calls of an attempt in llm_calls with rollout ids and sequence ids', async () => {
    const started = await harness.collector.store.startRollout({ input: { question: 'sum' } });
    const client = harness.client(started.rollout_id, started.attempt.attempt_id);
    const first = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'You add numbers.' },
        { role: 'user', content: 'Calculate the sum from 1 to 4. The range is inclusive.' },
      ],
    });
    const second = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Calculate the sum from 1 to 5. The range is inclusive.' }] });
    const calls = await harness.rows(
      `SELECT rollout_id, attempt_id, sequence_id, model, input_messages, output_messages, input_tokens, output_tokens, convention
       FROM llm_calls WHERE rollout_id = '${started.rollout_id}' ORDER BY sequence_id`,
    );
    assert.equal(calls.length, 2);
    assert.equal(calls[0].attempt_id, started.attempt.attempt_id);
    assert.equal(calls[0].convention, 'gen_ai');
    assert.equal(calls[0].model, 'gpt-4.1-mini');
    assert.ok(Number(calls[0].sequence_id) >= 1);
    assert.ok(Number(calls[1].sequence_id) > Number(calls[0].sequence_id));
    const input = json(calls[0].input_messages);
    assert.deepEqual(input.map((message: { role: string }) => message.role), ['system', 'user']);
    assert.equal(input[0].content, 'You add numbers.');
    const output = json(calls[0].output_messages);
    assert.equal(output[0].content, first.choices[0].message.content);
    assert.equal(Number(calls[0].input_tokens), first.usage!.prompt_tokens);
    assert.equal(Number(calls[0].output_tokens), first.usage!.completion_tokens);
    assert.equal(json(calls[1].output_messages)[0].content, second.choices[0].message.content);

    const [span] = await harness.rows(
      `SELECT name, kind, status_code, attributes FROM spans WHERE rollout_id = '${started.rollout_id}' ORDER BY sequence_id LIMIT 1`,
    );
    assert.equal(span.name, 'chat gpt-4.1-mini');
    const attributes = json(span.attributes);
    assert.equal(attributes['gen_ai.operation.name'], 'chat');
    assert.equal(attributes['gen_ai.request.model'], 'gpt-4.1-mini');
    assert.equal(attributes['gen_ai.response.model'], 'gpt-4.1-mini');
    assert.equal(attributes['gen_ai.request.temperature'], 0.2);
    assert.deepEqual(attributes['gen_ai.response.finish_reasons'], ['stop']);
    const genAiInput = json(attributes['gen_ai.input.messages']);
    assert.deepEqual(genAiInput[0], { role: 'system', parts: [{ type: 'text', content: 'You add numbers.' }] });
    const genAiOutput = json(attributes['gen_ai.output.messages']);
    assert.equal(genAiOutput[0].finish_reason, 'stop');
    assert.equal(genAiOutput[0].parts[0].type, 'text');
    // The call is the attempt's heartbeat: its first span moves it to running.
    await harness.collector.store.flushSpanActivity();
    const attempt = await harness.collector.store.getLatestAttempt(started.rollout_id);
    assert.equal(attempt?.status, 'running');
    assert.ok(attempt?.last_heartbeat_time);
  });

  it('records tool calls and tool results', async () => {
    const started = await harness.collector.store.startRollout({ input: {} });
    const client = harness.client(started.rollout_id, started.attempt.attempt_id);
    const messages: Parameters<typeof client.chat.completions.create>[0]['messages'] = [
      { role: 'user', content: 'Book a room on 2025-10-13 at 16:30 for 30 minutes for 4 people.' },
    ];
    const first = await client.chat.completions.create({ model: 'sim-room-selector', messages, tools: [ROOM_TOOL] });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    messages.push(first.choices[0].message);
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ rooms: [{ id: 'Orion', capacity: 6, equipment: [], accessible: true, distance_m: 10, booked: [] }] }) });
    await client.chat.completions.create({ model: 'sim-room-selector', messages, tools: [ROOM_TOOL] });
    const calls = await harness.rows(`SELECT input_messages, output_messages, details FROM llm_calls WHERE rollout_id = '${started.rollout_id}' ORDER BY sequence_id`);
    assert.equal(calls.length, 2);
    const output = json(calls[0].output_messages);
    assert.equal(output[0].tool_calls[0].id, call.id);
    assert.equal(output[0].tool_calls[0].function.name, 'get_rooms_and_availability');
    assert.deepEqual(JSON.parse(output[0].tool_calls[0].function.arguments), JSON.parse(call.function.arguments));
    const input = json(calls[1].input_messages);
    assert.deepEqual(input.map((message: { role: string }) => message.role), ['user', 'assistant', 'tool']);
    assert.equal(input[2].tool_call_id, call.id);
    assert.match(JSON.stringify(calls[0].details), /get_rooms_and_availability/);
  });

  it('records calls on the plain base without a rollout', async () => {
    const answer = await harness.client().chat.completions.create({ model: 'plain-model', messages: [{ role: 'user', content: 'Say hello.' }] });
    const calls = await harness.rows(`SELECT rollout_id, sequence_id FROM llm_calls WHERE model = 'plain-model'`);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].rollout_id, null);
    assert.equal(calls[0].sequence_id, null);
    assert.ok(answer.choices[0].message.content);
  });

  it('passes GET /models through and answers unknown and finished attempts with 404 and 409', async () => {
    const models = await harness.client().models.list();
    assert.ok(models.data.some((model) => model.id === 'sim-llm'));
    await assert.rejects(harness.client('no-such-rollout', 'no-attempt').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
      assert.equal(error.status, 404);
      assert.match(error.message, /no-such-rollout/);
      return true;
    });
    const started = await harness.collector.store.startRollout({ input: {} });
    await assert.rejects(harness.client(started.rollout_id, 'other-attempt').models.list(), { status: 404 });
    await harness.collector.store.updateAttempt(started.rollout_id, started.attempt.attempt_id, { status: 'succeeded' });
    await assert.rejects(harness.client(started.rollout_id, started.attempt.attempt_id).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: { status?: number; message: string }) => {
      assert.equal(error.status, 409);
      assert.match(error.message, /succeeded/);
      return true;
    });
  });
});

describe('LLM gateway: the collector token', () => {
  it('requires the token as the OpenAI API key when --token is set', async () => {
    const harness = await startGatewayHarness({}, { token: 'secret-token' });
    try {
      const answer = await harness.client(undefined, undefined, 'secret-token').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello.' }] });
      assert.ok(answer.choices[0].message.content);
      await assert.rejects(harness.client(undefined, undefined, 'wrong').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello.' }] }), { status: 401 });
    } finally {
      await harness.close();
    }
  });
});

describe('LLM gateway: forwarding', () => {
  it('forwards each recorded call as OTLP: a second collector stores the same span and llm_calls row', async () => {
    const second = await startTestCollector();
    const harness = await startGatewayHarness({}, { forwardUrl: second.url, forwardCloseTimeoutMillis: 100 });
    try {
      const started = await harness.collector.store.startRollout({ input: {} });
      await harness.client(started.rollout_id, started.attempt.attempt_id).chat.completions.create({
        model: 'gpt-4.1-mini',
        temperature: 1,
        messages: [{ role: 'user', content: 'Calculate the sum from 1 to 4. The range is inclusive.' }],
      });
      const where = `rollout_id = '${started.rollout_id}'`;
      // The forwarded span carries no sequence id: the second collector does not know the attempt.
      const spans = `SELECT * EXCLUDE (received_at, sequence_id) FROM spans WHERE ${where}`;
      const calls = `SELECT * EXCLUDE (sequence_id) FROM llm_calls WHERE ${where}`;
      const local = { spans: await harness.rows(spans), calls: await harness.rows(calls) };
      assert.equal(local.spans.length, 1);
      for (let attempt = 0; (await queryRows(second, spans)).length === 0; attempt++) {
        assert.ok(attempt < 200, 'the forwarded span never arrived');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.deepEqual(await queryRows(second, spans), local.spans);
      assert.deepEqual(await queryRows(second, calls), local.calls);
    } finally {
      await harness.close();
      await second.close();
    }
  });
});

describe('LLM gateway: POST /v1/agl/gateway/flush', () => {
  it('stores the calls waiting for their batch at once, and answers the counters', async () => {
    // A batch delay of a minute: without the flush, nothing would be stored during the test.
    const harness = await startGatewayHarness({}, { token: 'secret-token', gatewayRecording: { batchDelayMillis: 60_000 } });
    try {
      const started = await harness.collector.store.startRollout({ input: {} });
      await harness.client(started.rollout_id, started.attempt.attempt_id, 'secret-token').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello.' }] });
      const count = `SELECT count(*) AS n FROM llm_calls WHERE rollout_id = '${started.rollout_id}'`;
      assert.equal(Number((await queryRows(harness.collector, count))[0]!.n), 0, 'the call waits for its batch');
      const flush = (headers: Record<string, string>) => fetch(`${harness.collector.url}/v1/agl/gateway/flush`, { method: 'POST', headers });
      const refused = await flush({});
      assert.equal(refused.status, 401, 'the flush is behind the token, like every route under /v1/');
      const crossSite = await flush({ authorization: 'Bearer secret-token', origin: 'http://evil.example' });
      assert.equal(crossSite.status, 403);
      assert.equal(Number((await queryRows(harness.collector, count))[0]!.n), 0, 'a refused flush stores nothing');
      const answer = await flush({ authorization: 'Bearer secret-token' });
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), { recorded: 1, dropped: 0, pending: 0 });
      assert.equal(Number((await queryRows(harness.collector, count))[0]!.n), 1);
    } finally {
      await harness.close();
    }
  });

  it('refuses bad batching options before anything is opened', async () => {
    await assert.rejects(startTestCollector({ gatewayRecording: { batchDelayMillis: -1 } }), /Expected `batchDelayMillis` to be a number ≥ 0, got `-1`/);
    await assert.rejects(startTestCollector({ gatewayRecording: { maxBatchCalls: 0 } }), /Expected `maxBatchCalls` to be an integer ≥ 1, got `0`/);
  });
});
