import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { ChaosDraws, SimLlmServer } from '../../src/sim-llm/index.ts';
import { BASELINE_TEMPLATE, fillTemplate, ROOM_TOOL, startSim, TASKS } from './room-harness.ts';

/**
 * The server as a client sees it: determinism and seeds, error injection against the SDK's retries,
 * latency, OpenAI error bodies for bad requests, the model list, streaming, the math and generic
 * behaviours.
 */

let server: SimLlmServer;
let client: OpenAI;
before(async () => ({ server, client } = await startSim({ seed: 3 })));
after(() => server.close());

const critiqueRequest = (seed?: number, temperature = 1) => ({
  model: 'gpt-4.1-mini',
  temperature,
  ...(seed === undefined ? {} : { seed }),
  messages: [
    {
      role: 'user' as const,
      content: `Revise the prompt using the critique.\n# Current Prompt Template\n${BASELINE_TEMPLATE}\n# Critique\nAnswer "No Room" when nothing fits. Break ties by the smallest capacity slack, then the least extra equipment, then the shortest distance. Use the answer format final_choice: <ROOM_ID>.`,
    },
  ],
});

describe('determinism', () => {
  it('gives the same answer for the same request and seed, and varies across seeds at temperature > 0', async () => {
    const a = await client.chat.completions.create(critiqueRequest(5));
    const b = await client.chat.completions.create(critiqueRequest(5));
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.notEqual(a.id, b.id, 'ids stay unique');
    const answers = new Set<string>();
    for (let seed = 0; seed < 8; seed++) answers.add((await client.chat.completions.create(critiqueRequest(seed))).choices[0].message.content ?? '');
    assert.ok(answers.size >= 3, `${answers.size} distinct answers over 8 seeds`);
    const cold = new Set<string>();
    for (let seed = 0; seed < 4; seed++) cold.add((await client.chat.completions.create(critiqueRequest(seed, 0))).choices[0].message.content ?? '');
    assert.equal(cold.size, 1, 'temperature 0 ignores the seed');
  });

  it('depends on the server seed at temperature > 0, and another server with the same seed agrees', async () => {
    const other = await startSim({ seed: 3 });
    const different = await startSim({ seed: 4 });
    try {
      const request = critiqueRequest();
      const mine: string[] = [];
      const same: string[] = [];
      const theirs: string[] = [];
      for (let seed = 0; seed < 6; seed++) {
        mine.push((await client.chat.completions.create({ ...request, seed })).choices[0].message.content ?? '');
        same.push((await other.client.chat.completions.create({ ...request, seed })).choices[0].message.content ?? '');
        theirs.push((await different.client.chat.completions.create({ ...request, seed })).choices[0].message.content ?? '');
      }
      assert.deepEqual(same, mine);
      assert.notDeepEqual(theirs, mine);
    } finally {
      await other.server.close();
      await different.server.close();
    }
  });

  it('answers n choices', async () => {
    const response = await client.chat.completions.create({ ...critiqueRequest(1), n: 3 });
    assert.deepEqual(response.choices.map((choice) => choice.index), [0, 1, 2]);
  });
});

describe('error injection and latency', () => {
  it('429s carry Retry-After and the SDK retries through them; 500s too', async () => {
    const flaky = await startSim({ seed: 11, errorRates: { 429: 0.2, 500: 0.1 }, retryAfterMillis: 5 }, { maxRetries: 6 });
    try {
      for (let index = 0; index < 20; index++) {
        const response = await flaky.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `hello ${index}` }] });
        assert.match(response.choices[0].message.content ?? '', /simulated/);
      }
      assert.ok(flaky.server.requestCount > 21, `errors were injected and retried (${flaky.server.requestCount} requests for 20 answers)`);
    } finally {
      await flaky.server.close();
    }
  });

  it('with maxRetries 0 the injected error surfaces with its status and an OpenAI error body', async () => {
    const failing = await startSim({ seed: 1, errorRates: { 429: 0.999 }, retryAfterMillis: 1500 }, { maxRetries: 0 });
    const broken = await startSim({ seed: 1, errorRates: { 500: 0.999 } }, { maxRetries: 0 });
    try {
      await assert.rejects(failing.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.RateLimitError);
        assert.equal(error.status, 429);
        assert.equal(error.headers.get('retry-after'), '2');
        assert.equal(error.headers.get('retry-after-ms'), '1500');
        assert.equal((error.error as { code?: string }).code, 'rate_limit_exceeded');
        return true;
      });
      await assert.rejects(broken.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.InternalServerError);
        assert.equal(error.status, 500);
        assert.equal((error.error as { type?: string }).type, 'server_error');
        return true;
      });
    } finally {
      await failing.server.close();
      await broken.server.close();
    }
  });

  it('honours a fixed latency and a latency range', async () => {
    const slow = await startSim({ latencyMillis: 150 });
    const ranged = await startSim({ seed: 7, latencyMillis: [60, 90] });
    try {
      let started = performance.now();
      await slow.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
      assert.ok(performance.now() - started >= 145, `fixed latency: ${performance.now() - started} ms`);
      // The latencies a server with seed 7 draws, in order: each answer reports its own (rounded, in
      // OpenAI's openai-processing-ms header) and takes at least that long.
      const expected = new ChaosDraws(7, [60, 90]);
      const drawn: number[] = [];
      for (let index = 0; index < 4; index++) {
        const { latencyMillis } = expected.next();
        assert.ok(latencyMillis >= 60 && latencyMillis < 90, `drawn latency ${latencyMillis} ms`);
        started = performance.now();
        const { response } = await ranged.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).withResponse();
        const elapsed = performance.now() - started;
        assert.equal(response.headers.get('openai-processing-ms'), String(Math.round(latencyMillis)));
        assert.ok(elapsed >= latencyMillis - 2, `request ${index}: answered in ${elapsed} ms, drew ${latencyMillis} ms`);
        drawn.push(latencyMillis);
      }
      assert.equal(new Set(drawn).size, drawn.length, 'each request draws its own latency');
      const { response } = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).withResponse();
      assert.equal(response.headers.get('openai-processing-ms'), '0', 'no latency by default');
    } finally {
      await slow.server.close();
      await ranged.server.close();
    }
  });

  it('rejects invalid options at construction', async () => {
    await assert.rejects(SimLlmServer.start({ port: 0, errorRates: { 429: 1.5 } }), /errorRates\[429\]/);
    await assert.rejects(SimLlmServer.start({ port: 0, latencyMillis: [50, 10] }), /latencyMillis/);
    await assert.rejects(SimLlmServer.start({ port: -1 }), /port/);
  });
});

describe('bad requests', () => {
  async function post(body: string, contentType = 'application/json'): Promise<{ status: number; body: { error?: { message: string; type: string; code: unknown; param: unknown } } }> {
    const response = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as { error?: { message: string; type: string; code: unknown; param: unknown } } };
  }

  it('answers 400 with an OpenAI error body and keeps serving', async () => {
    const cases = [
      '{"model": "m"}',
      '{"model": "m", "messages": []}',
      '{"model": "m", "messages": [{"role": "wizard", "content": "x"}]}',
      '{"messages": [{"role": "user", "content": "x"}]}',
      '{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 7}',
      '{"model": "m", "messages": [{"role": "tool", "content": "x"}]}',
      '{"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}',
      '{"model": "m", "messages": [{"role": "user"',
      '[1, 2]',
      '',
    ];
    for (const body of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, body);
      assert.equal(response.body.error?.type, 'invalid_request_error', body);
      assert.ok((response.body.error?.message ?? '').length > 10, body);
      assert.ok('code' in response.body.error! && 'param' in response.body.error!);
    }
    const missing = await post('{"model": "m"}');
    assert.match(missing.body.error!.message, /messages/);
    assert.equal((await post('x', 'text/plain')).status, 415);
    const ok = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still there?' }] });
    assert.match(ok.choices[0].message.content ?? '', /still there/);
  });

  it('surfaces a 400 through the SDK as BadRequestError', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'm', messages: [] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.status === 400,
    );
  });

  it('answers 404 and 405 with OpenAI error bodies', async () => {
    const missing = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const wrongMethod = await fetch(`${server.baseURL}/chat/completions`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
  });
});

describe('models, streaming, other behaviours', () => {
  it('lists the simulated models and accepts any model name', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('sim-room-selector'));
    assert.ok(ids.every((id) => id.startsWith('sim-')));
    const model = await client.models.retrieve('gpt-4.1-mini');
    assert.equal(model.id, 'gpt-4.1-mini');
    assert.equal(model.owned_by, 'agl-sim-llm');
  });

  it('streams content and tool calls as SSE chunks that the SDK reassembles', async () => {
    const task = TASKS[1];
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1-nano',
      messages: [{ role: 'user', content: fillTemplate(BASELINE_TEMPLATE, task.task_input) }],
      tools: [ROOM_TOOL],
      stream: true,
      stream_options: { include_usage: true },
    });
    let argumentsText = '';
    let name = '';
    let usage = 0;
    let finish = '';
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage.total_tokens;
      const delta = chunk.choices[0]?.delta;
      for (const call of delta?.tool_calls ?? []) {
        name += call.function?.name ?? '';
        argumentsText += call.function?.arguments ?? '';
      }
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    assert.equal(name, 'get_rooms_and_availability');
    assert.equal(JSON.parse(argumentsText).date, task.task_input.date);
    assert.equal(finish, 'tool_calls');
    assert.ok(usage > 0);

    const text = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Calculate the sum from 1 to 10.' }] });
    let content = '';
    for await (const chunk of text) content += chunk.choices[0]?.delta?.content ?? '';
    const whole = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Calculate the sum from 1 to 10.' }] });
    assert.equal(content, whole.choices[0].message.content);
  });

  it('math: the off-by-one is likelier the less the prompt says about the range; answer format per the prompt', async () => {
    const ask = async (system: string, n: number, temperature = 0) =>
      (await client.chat.completions.create({ model: 'm', temperature, messages: [{ role: 'system', content: system }, { role: 'user', content: `Calculate the sum from 1 to ${n}.` }] })).choices[0].message.content ?? '';
    const lastNumber = (text: string) => Number(text.match(/\d+(?=\.?$)/)?.[0]);
    const values = Array.from({ length: 60 }, (_, index) => 10 + index * 3);
    let plainRight = 0;
    let hintRight = 0;
    let inclusiveRight = 0;
    for (const n of values) {
      const plain = await ask('You are a careful math assistant.', n);
      assert.ok([((n - 1) * n) / 2, (n * (n + 1)) / 2, (n - 1) * n, n * (n + 1)].includes(lastNumber(plain)), plain);
      if (lastNumber(plain) === (n * (n + 1)) / 2) plainRight++;
      if (lastNumber(await ask('You are a careful math assistant. Be careful with the bounds of the range.', n)) === (n * (n + 1)) / 2) hintRight++;
      const inclusive = await ask('You are a careful math assistant. The range is inclusive of both ends. End with "Answer: <number>".', n);
      assert.match(inclusive, /\nAnswer: \d+$/);
      if (inclusive.endsWith(`Answer: ${(n * (n + 1)) / 2}`)) inclusiveRight++;
      assert.equal(await ask('You are a careful math assistant.', n), plain, 'temperature 0 is deterministic');
    }
    assert.ok(plainRight > 0 && plainRight < values.length * 0.6, `without the rule the range is sometimes right: ${plainRight}/${values.length}`);
    assert.ok(hintRight > plainRight && hintRight < inclusiveRight, `a hint helps, the rule more: ${plainRight} < ${hintRight} < ${inclusiveRight}`);
    assert.ok(inclusiveRight >= values.length * 0.85, `with the rule nearly always right: ${inclusiveRight}/${values.length}`);
  });

  it('anything else: a deterministic, clearly simulated echo; max_tokens truncates', async () => {
    const response = await client.chat.completions.create({ model: 'whatever', messages: [{ role: 'user', content: 'Tell me a story about a lighthouse keeper.' }] });
    assert.match(response.choices[0].message.content ?? '', /^\[agl-sim-llm: simulated reply\].*lighthouse keeper/);
    assert.equal(response.model, 'whatever');
    const short = await client.chat.completions.create({ model: 'm', max_tokens: 3, messages: [{ role: 'user', content: 'Tell me a story about a lighthouse keeper.' }] });
    assert.equal(short.choices[0].finish_reason, 'length');
    assert.ok(short.usage!.completion_tokens <= 3);
  });
});
