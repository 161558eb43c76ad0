import { StoreValidationError } from '../../src/store/index.ts';
import type { LightningStore, Span, SpanQuery } from '../../src/store/index.ts';
import { z } from 'zod';
import type { RouteTable } from '../http/route-table.ts';
import { parseWith } from '../http/validate.ts';
import { Fields, answer, filterLogic, pageFromBody, queryFields, readObjectBody } from './store-wire.ts';

/** The body of `POST /v1/agl/spans/next`. */
const NEXT_SEQUENCE_ID_BODY = z.object({ rollout_id: z.string(), attempt_id: z.string() });

/**
 * The span routes of Agent Lightning's store API over our `spans` table: `POST /v1/agl/spans`
 * (add one span, written through the same sink as OTLP), `GET /v1/agl/spans` and
 * `POST /v1/agl/spans/search` (query), `POST /v1/agl/spans/next` (next sequence id).
 */
export function registerSpanRoutes(routes: RouteTable, store: LightningStore): void {
  routes
    .on('POST', '/v1/agl/spans', async ({ request, response }) => {
      const span = (await readObjectBody(request)) as unknown as Span;
      const fields = new Fields(span as unknown as Record<string, unknown>);
      fields.string('rollout_id', { required: true, nullable: false });
      fields.string('attempt_id', { required: true, nullable: false });
      if (fields.integer('sequence_id') === undefined) throw StoreValidationError.at(['body', 'sequence_id'], 'Field required', 'missing');
      answer(response, await store.addSpan(span), 201);
    })
    .on('GET', '/v1/agl/spans', async ({ url, response }) => {
      answer(response, await store.querySpans(spanQuery(queryFields(url, [], ['limit', 'offset']))));
    })
    .on('POST', '/v1/agl/spans/search', async ({ request, response }) => {
      answer(response, await store.querySpans(spanQuery(new Fields(await readObjectBody(request)))));
    })
    .on('POST', '/v1/agl/spans/next', async ({ request, response }) => {
      const { rollout_id, attempt_id } = parseWith(NEXT_SEQUENCE_ID_BODY, await readObjectBody(request));
      answer(response, { sequence_id: await store.getNextSpanSequenceId(rollout_id, attempt_id) });
    });
}

function spanQuery(fields: Fields): SpanQuery {
  return {
    ...pageFromBody(fields, 'sequence_id'),
    rolloutId: fields.string('rollout_id', { required: true, nullable: false })!,
    attemptId: fields.string('attempt_id'),
    traceId: fields.string('trace_id'),
    traceIdContains: fields.string('trace_id_contains'),
    spanId: fields.string('span_id'),
    spanIdContains: fields.string('span_id_contains'),
    parentId: fields.string('parent_id'),
    parentIdContains: fields.string('parent_id_contains'),
    name: fields.string('name'),
    nameContains: fields.string('name_contains'),
    filterLogic: filterLogic(fields),
  };
}
