import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { otlpTypes } from '../../src/otlp/proto-schema.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { startTarget, waitFor } from '../forward/target.ts';
import type { Target } from '../forward/target.ts';

let collector: Collector;
let target: Target;

before(async () => {
  target = await startTarget(() => ({ status: 200 }));
  collector = await startTestCollector({ maxBodyBytes: 64 * 1024, forwardUrl: `${target.url}/v1/traces` });
});

after(async () => {
  await collector.close();
  await target.close();
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const str = (value: string) => ({ stringValue: value });
const kv = (key: string, value: unknown) => ({ key, value });
const map = (entries: Record<string, unknown>) => ({ kvlistValue: { values: Object.entries(entries).map(([key, value]) => kv(key, value)) } });

/** A GenAI chat span as hand-sent OTLP/JSON (no messages on the span). */
function spanBody(spanId: string, rolloutId: string) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('agentlightning.rollout_id', str(rolloutId)), kv('agentlightning.attempt_id', str('at'))] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: TRACE,
                spanId,
                name: 'chat m',
                kind: 3,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000001000000000',
                attributes: [kv('gen_ai.operation.name', str('chat')), kv('gen_ai.request.model', str('m')), kv('gen_ai.usage.input_tokens', { intValue: 5 }), kv('gen_ai.usage.output_tokens', { intValue: 2 })],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The call's message events as OTLP log records (the old per-message form, `event.name` attribute). */
function eventRecords(spanId: string) {
  const record = (eventName: string, body: unknown, time: string) => ({
    timeUnixNano: time,
    observedTimeUnixNano: time,
    severityNumber: 'SEVERITY_NUMBER_INFO',
    traceId: TRACE,
    spanId,
    attributes: [kv('event.name', str(eventName))],
    body,
  });
  return [
    record('gen_ai.user.message', map({ content: str('weather?') }), '1700000000000000001'),
    record('gen_ai.choice', map({ index: { intValue: 0 }, finish_reason: str('tool_calls'), message: map({ tool_calls: { arrayValue: { values: [map({ id: str('call_1'), type: str('function'), function: map({ name: str('get_weather'), arguments: str('{}') }) })] } } }) }), '1700000000900000000'),
  ];
}

function logsBody(records: unknown[], rolloutId?: string) {
  return {
    resourceLogs: [
      {
        resource: { attributes: rolloutId ? [kv('agentlightning.rollout_id', str(rolloutId))] : [] },
        scopeLogs: [{ scope: { name: 'hand' }, logRecords: records }],
      },
    ],
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${collector.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
}

async function call(spanId: string) {
  const [row] = await queryRows(collector, `SELECT input_messages, output_messages, input_tokens, messages_source FROM llm_calls WHERE span_id = '${spanId}'`);
  return row;
}

describe('POST /v1/logs (hand-sent OTLP)', () => {
  for (const order of ['span first', 'logs first'] as const) {
    test(`GenAI events join their span's llm_calls row, ${order}`, async () => {
      const spanId = order === 'span first' ? '00f067aa0ba902b7' : '00f067aa0ba902b8';
      const sendSpan = async () => assert.equal((await post('/v1/traces', spanBody(spanId, `ro-${spanId}`))).status, 200);
      const sendLogs = async () => assert.equal((await post('/v1/logs', logsBody(eventRecords(spanId)))).status, 200);
      if (order === 'span first') {
        await sendSpan();
        assert.equal((await call(spanId))!.messages_source, 'none');
        await sendLogs();
      } else {
        await sendLogs();
        await sendSpan();
      }
      const row = (await call(spanId))!;
      assert.equal(row.messages_source, 'logs');
      assert.deepEqual(row.input_messages, [{ role: 'user', content: 'weather?' }]);
      assert.deepEqual(row.output_messages, [
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      ]);
      assert.equal(row.input_tokens, 5);
    });
  }

  test('the single-event form (gen_ai.client.inference.operation.details, event_name field), protobuf, gzip', async () => {
    const spanId = '00f067aa0ba902b9';
    await post('/v1/traces', spanBody(spanId, 'ro-details'));
    const request = otlpTypes.exportLogsServiceRequest.fromObject({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: 1700000000000000123n.toString(),
                  eventName: 'gen_ai.client.inference.operation.details',
                  traceId: Buffer.from(TRACE, 'hex'),
                  spanId: Buffer.from(spanId, 'hex'),
                  attributes: [
                    kv('gen_ai.input.messages', str(JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]))),
                    kv('gen_ai.output.messages', str(JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finish_reason: 'stop' }]))),
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const bytes = otlpTypes.exportLogsServiceRequest.encode(request).finish();
    const response = await post('/v1/logs', gzipSync(bytes), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    assert.equal(response.status, 200);
    const row = (await call(spanId))!;
    assert.deepEqual(row.input_messages, [{ role: 'user', content: 'hi' }]);
    assert.deepEqual(row.output_messages, [{ role: 'assistant', content: 'hello' }]);
    const [log] = await queryRows(collector, `SELECT event_name, time_unix_nano, observed_time_unix_nano FROM logs WHERE span_id = '${spanId}'`);
    assert.equal(log!.event_name, 'gen_ai.client.inference.operation.details');
    assert.equal(String(log!.time_unix_nano), '1700000000000000123');
  });

  test('a plain log line: body, severity, attributes, rollout ids (attribute over resource), no trace', async () => {
    const record = { timeUnixNano: '5', severityNumber: 17, severityText: 'ERROR', body: str('boom'), attributes: [kv('agentlightning.rollout_id', str('ro-attr'))] };
    assert.equal((await post('/v1/logs', logsBody([record], 'ro-resource'))).status, 200);
    const [row] = await queryRows(collector, `SELECT body, severity_number, severity_text, rollout_id, trace_id, event_name, scope_name FROM logs WHERE severity_text = 'ERROR'`);
    assert.deepEqual(row, { body: 'boom', severity_number: 17, severity_text: 'ERROR', rollout_id: 'ro-attr', trace_id: null, event_name: null, scope_name: 'hand' });
  });

  test('partial success for records with malformed ids; 400, 415, 413', async () => {
    const response = await post('/v1/logs', logsBody([{ body: str('ok') }, { traceId: 'abc', body: str('bad') }]));
    assert.equal(response.status, 200);
    const answer = (await response.json()) as { partialSuccess: { rejectedLogRecords: string; errorMessage: string } };
    assert.equal(answer.partialSuccess.rejectedLogRecords, '1');
    assert.match(answer.partialSuccess.errorMessage, /hex digits or empty/);
    assert.equal((await post('/v1/logs', '{"resourceLogs": 5}')).status, 400);
    assert.equal((await post('/v1/logs', 'not json')).status, 400);
    assert.equal((await post('/v1/logs', 'x', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post('/v1/logs', logsBody([{ body: str('x'.repeat(100_000)) }]))).status, 413);
  });

  test('--forward sends logs to /v1/logs and metrics to /v1/metrics beside the traces URL', async () => {
    const before = target.received.length;
    assert.equal((await post('/v1/logs', logsBody([{ body: str('forward me') }]))).status, 200);
    assert.equal((await post('/v1/metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ asDouble: 1 }] } }] }] }] })).status, 200);
    await waitFor(() => target.received.slice(before).some((request) => request.path === '/v1/metrics'), 'the forwarded metrics');
    const paths = target.received.slice(before).map((request) => request.path);
    assert.ok(paths.includes('/v1/logs') && paths.includes('/v1/metrics'), paths.join(', '));
    const forwardedLogs = target.received.slice(before).find((request) => request.path === '/v1/logs')!;
    assert.match(forwardedLogs.body.toString(), /forward me/);
    assert.ok(target.received.some((request) => request.path === '/v1/traces'));
  });
});
