import type { LightningStore, Span, SpanQuery } from '../../src/store/index.ts';
import type { z } from 'zod';
import type { RouteTable } from '../http/route-table.ts';
import { parseWith } from '../http/validate.ts';
import { NEXT_SEQUENCE_ID_BODY, SPAN_KEYS_BODY, SPAN_QUERY_BODY, SPAN_QUERY_QUERY } from './store-schemas.ts';
import { answer, pageOptions, parseQuery, readObjectBody } from './store-wire.ts';

/**
 * The span routes of Agent Lightning's store API over our `spans` table: `POST /v1/agl/spans`
 * (add one span, written through the same sink as OTLP), `GET /v1/agl/spans` and
 * `POST /v1/agl/spans/search` (query), `POST /v1/agl/spans/next` (next sequence id).
 */
export function registerSpanRoutes(routes: RouteTable, store: LightningStore): void {
  routes
    .on('POST', '/v1/agl/spans', async ({ request, response }) => {
      const span = await readObjectBody(request);
      parseWith(SPAN_KEYS_BODY, span);
      answer(response, await store.addSpan(span as unknown as Span), 201);
    })
    .on('GET', '/v1/agl/spans', async ({ url, response }) => {
      answer(response, await store.querySpans(spanQuery(parseQuery(url, SPAN_QUERY_QUERY))));
    })
    .on('POST', '/v1/agl/spans/search', async ({ request, response }) => {
      answer(response, await store.querySpans(spanQuery(parseWith(SPAN_QUERY_BODY, await readObjectBody(request)))));
    })
    .on('POST', '/v1/agl/spans/next', async ({ request, response }) => {
      const { rollout_id, attempt_id } = parseWith(NEXT_SEQUENCE_ID_BODY, await readObjectBody(request));
      answer(response, { sequence_id: await store.getNextSpanSequenceId(rollout_id, attempt_id) });
    });
}

function spanQuery(query: z.infer<typeof SPAN_QUERY_BODY>): SpanQuery {
  return {
    ...pageOptions(query, 'sequence_id'),
    rolloutId: query.rollout_id,
    attemptId: query.attempt_id,
    traceId: query.trace_id,
    traceIdContains: query.trace_id_contains,
    spanId: query.span_id,
    spanIdContains: query.span_id_contains,
    parentId: query.parent_id,
    parentIdContains: query.parent_id_contains,
    name: query.name,
    nameContains: query.name_contains,
    filterLogic: query.filter_logic ?? undefined,
  };
}
