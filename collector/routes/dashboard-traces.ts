import type { DuckDBValue } from '@duckdb/node-api';
import { InvalidRequestError, NotFoundError } from '../../src/errors/index.ts';
import type { Database } from '../../src/storage/index.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteTable } from '../http/route-table.ts';
import { QueryParams, keysetPage, queryObjects } from './dashboard-sql.ts';
import type { Row } from './dashboard-sql.ts';

/**
 * The dashboard's trace routes (all keyset paginated and bounded):
 * - `GET /v1/agl/dashboard/rollouts/{rollout_id}/attempts/{attempt_id}/spans?limit&cursor` and
 *   `GET /v1/agl/dashboard/traces/{trace_id}/spans?limit&cursor`: span summaries (no attributes)
 *   in start order, for the waterfall; each says whether it is an LLM call or a reward.
 * - `GET /v1/agl/dashboard/spans/{trace_id}/{span_id}`: one span whole (attributes, events, links,
 *   resource) with its LLM call from `llm_calls` (OpenAI-format messages, whatever convention it
 *   came in) and its rewards.
 * - `GET /v1/agl/dashboard/traces?service&rollout=with|without&since&until&limit&cursor`: traces,
 *   newest first, found by their root spans (spans without a parent).
 * - `GET /v1/agl/dashboard/services`: the service names with their span counts.
 */
export function registerDashboardTraceRoutes(routes: RouteTable, database: Database): void {
  routes
    .on('GET', '/v1/agl/dashboard/rollouts/:rollout_id/attempts/:attempt_id/spans', async ({ params, url, response }) => {
      const page = await spanPage(database, url, 's.rollout_id = $1 AND s.attempt_id = $2', [params.rollout_id, params.attempt_id]);
      if (page.items.length === 0 && !url.searchParams.has('cursor')) {
        const known = await queryObjects(database, 'SELECT 1 FROM attempts WHERE rollout_id = $1 AND attempt_id = $2', [params.rollout_id, params.attempt_id]);
        if (known.length === 0) throw new NotFoundError(`Attempt ${params.attempt_id} of rollout ${params.rollout_id} not found`);
      }
      sendJson(response, 200, page);
    })
    .on('GET', '/v1/agl/dashboard/traces/:trace_id/spans', async ({ params, url, response }) => {
      const traceId = checkHexId(params.trace_id, 32, 'trace id');
      const page = await spanPage(database, url, 's.trace_id = $1', [traceId]);
      if (page.items.length === 0 && !url.searchParams.has('cursor')) throw new NotFoundError(`Trace ${traceId} not found`);
      sendJson(response, 200, page);
    })
    .on('GET', '/v1/agl/dashboard/spans/:trace_id/:span_id', async ({ params, response }) => {
      sendJson(response, 200, await spanDetail(database, checkHexId(params.trace_id, 32, 'trace id'), checkHexId(params.span_id, 16, 'span id')));
    })
    .on('GET', '/v1/agl/dashboard/traces', async ({ url, response }) => {
      sendJson(response, 200, await listTraces(database, url));
    })
    .on('GET', '/v1/agl/dashboard/services', async ({ url, response }) => {
      new QueryParams(url, []);
      const items = await queryObjects(
        database,
        `SELECT service_name, count(*)::INTEGER AS span_count FROM spans
         GROUP BY service_name ORDER BY span_count DESC, service_name LIMIT 200`,
      );
      sendJson(response, 200, { items, limit: 200 });
    });
}

/** The columns of a span summary (`s` is `spans`). */
const SUMMARY_COLUMNS = `s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.status_code, s.status_message,
  s.service_name, s.rollout_id, s.attempt_id, s.sequence_id::DOUBLE AS sequence_id,
  CAST(s.start_time_unix_nano AS VARCHAR) AS start_ns, s.start_time_unix_nano / 1e6 AS start_ms,
  (s.end_time_unix_nano - s.start_time_unix_nano) / 1e6 AS duration_ms`;

/** A page of span summaries matching `condition` (on `$1`, `$2`… = `values`), in start order. */
async function spanPage(database: Database, url: URL, condition: string, values: DuckDBValue[]) {
  const query = new QueryParams(url, ['limit', 'cursor']);
  const limit = query.limit(500, 2000);
  const cursor = query.cursor('ss');
  const bound = [...values];
  let after = '';
  if (cursor) {
    bound.push(checkNanos(cursor[0] as string), cursor[1]);
    const [at, id] = [`$${bound.length - 1}`, `$${bound.length}`];
    after = `AND (s.start_time_unix_nano > ${at}::BIGINT OR (s.start_time_unix_nano = ${at}::BIGINT AND s.span_id > ${id}))`;
  }
  bound.push(limit + 1);
  const rows = await queryObjects(
    database,
    `WITH page AS (
       SELECT ${SUMMARY_COLUMNS}, s.start_time_unix_nano AS start_key FROM spans s
       WHERE ${condition} ${after} ORDER BY s.start_time_unix_nano, s.span_id LIMIT $${bound.length})
     SELECT page.* EXCLUDE (start_key),
            l.model AS llm_model, l.input_tokens::DOUBLE AS input_tokens, l.output_tokens::DOUBLE AS output_tokens,
            (SELECT count(*)::INTEGER FROM span_rewards w WHERE w.trace_id = page.trace_id AND w.span_id = page.span_id) AS reward_count
     FROM page LEFT JOIN span_llm_calls l ON l.trace_id = page.trace_id AND l.span_id = page.span_id
     ORDER BY page.start_key, page.span_id`,
    bound,
  );
  return keysetPage(rows, limit, (row) => [row.start_ns as string, row.span_id as string]);
}

async function spanDetail(database: Database, traceId: string, spanId: string) {
  const [span] = await queryObjects(
    database,
    `SELECT ${SUMMARY_COLUMNS}, s.trace_state, s.scope_name, s.scope_version, s.attributes, s.resource, s.events, s.links,
            CAST(s.end_time_unix_nano AS VARCHAR) AS end_ns
     FROM spans s WHERE s.trace_id = $1 AND s.span_id = $2 LIMIT 1`,
    [traceId, spanId],
    ['attributes', 'resource', 'events', 'links'],
  );
  if (!span) throw new NotFoundError(`Span ${spanId} of trace ${traceId} not found`);
  const [llmCall] = await queryObjects(
    database,
    `SELECT convention, model, input_messages, output_messages, input_tokens::DOUBLE AS input_tokens,
            output_tokens::DOUBLE AS output_tokens, details,
            (end_time_unix_nano - start_time_unix_nano) / 1e6 AS duration_ms
     FROM span_llm_calls WHERE trace_id = $1 AND span_id = $2 LIMIT 1`,
    [traceId, spanId],
    ['input_messages', 'output_messages', 'details'],
  );
  const rewards = await queryObjects(
    database,
    'SELECT name, value, is_primary, reward_index FROM span_rewards WHERE trace_id = $1 AND span_id = $2 ORDER BY reward_index LIMIT 100',
    [traceId, spanId],
  );
  return { span, llm_call: llmCall ?? null, rewards };
}

async function listTraces(database: Database, url: URL) {
  const query = new QueryParams(url, ['service', 'rollout', 'since', 'until', 'limit', 'cursor']);
  const limit = query.limit(50, 200);
  const cursor = query.cursor('ss');
  const conditions = ['s.parent_span_id IS NULL'];
  const values: DuckDBValue[] = [];
  const bind = (fragment: string, ...bound: DuckDBValue[]) => {
    const first = values.length + 1;
    values.push(...bound);
    conditions.push(fragment.replace(/\?(\d)/g, (_, index: string) => `$${first + Number(index)}`));
  };
  const service = query.string('service');
  if (service) bind('s.service_name = ?0', service);
  const rollout = query.choice('rollout', ['with', 'without'] as const);
  if (rollout === 'with') conditions.push('s.rollout_id IS NOT NULL');
  if (rollout === 'without') conditions.push('s.rollout_id IS NULL');
  const since = query.timeNanos('since');
  if (since !== null) bind('s.start_time_unix_nano >= ?0', since);
  const until = query.timeNanos('until');
  if (until !== null) bind('s.start_time_unix_nano < ?0', until);
  if (cursor) {
    bind('(s.start_time_unix_nano < ?0::BIGINT OR (s.start_time_unix_nano = ?0::BIGINT AND s.span_id < ?1))', checkNanos(cursor[0] as string), cursor[1]);
  }
  values.push(limit + 1);
  const roots = await queryObjects(
    database,
    `SELECT ${SUMMARY_COLUMNS} FROM spans s WHERE ${conditions.join(' AND ')}
     ORDER BY s.start_time_unix_nano DESC, s.span_id DESC LIMIT $${values.length}`,
    values,
  );
  const page = keysetPage(roots, limit, (row) => [row.start_ns as string, row.span_id as string]);
  const counts = new Map<string, Row>();
  if (page.items.length > 0) {
    const rows = await queryObjects(
      database,
      `SELECT trace_id, count(*)::INTEGER AS span_count, count(*) FILTER (WHERE status_code = 'ERROR')::INTEGER AS error_count
       FROM spans WHERE trace_id IN (SELECT unnest(from_json($1, '["VARCHAR"]'))) GROUP BY trace_id`,
      [JSON.stringify(page.items.map((item) => item.trace_id))],
    );
    for (const row of rows) counts.set(row.trace_id as string, row);
  }
  const items = page.items.map((item) => ({
    ...item,
    span_count: counts.get(item.trace_id as string)?.span_count ?? 0,
    error_count: counts.get(item.trace_id as string)?.error_count ?? 0,
  }));
  return { ...page, items };
}

function checkHexId(value: string, length: number, what: string): string {
  if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) {
    throw new InvalidRequestError(`Expected the ${what} as ${length} hex digits, got \`${value.slice(0, 80)}\``);
  }
  return value.toLowerCase();
}

function checkNanos(value: string): string {
  if (!/^\d{1,19}$/.test(value)) throw new InvalidRequestError('Invalid `cursor`: pass back a `next_cursor` from a previous page');
  return value;
}
