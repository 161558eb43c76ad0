import { checkGatewayPromptResource, GATEWAY_PROMPT_RESOURCE_TYPE, StoreValidationError } from '../../src/store/index.ts';
import type { LightningStore, NamedResources } from '../../src/store/index.ts';
import type { RouteHandler, RouteTable } from '../http/route-table.ts';
import { RESOURCES_QUERY_QUERY } from './store-schemas.ts';
import { answer, pageOptions, parseQuery, readObjectBody } from './store-wire.ts';

/** The resources routes of Agent Lightning's store API (`/v1/agl/resources/…`). */
export function registerResourcesRoutes(routes: RouteTable, store: LightningStore): void {
  const update: RouteHandler = async ({ request, params, response }) => {
    answer(response, await store.updateResources(params.resources_id ?? 'latest', namedResources(await readObjectBody(request))));
  };
  routes
    .on('GET', '/v1/agl/resources', async ({ url, response }) => {
      const query = parseQuery(url, RESOURCES_QUERY_QUERY);
      answer(
        response,
        await store.queryResources({
          ...pageOptions(query),
          resourcesId: query.resources_id,
          resourcesIdContains: query.resources_id_contains,
        }),
      );
    })
    .on('POST', '/v1/agl/resources', async ({ request, response }) => {
      answer(response, await store.addResources(namedResources(await readObjectBody(request))), 201);
    })
    .on('GET', '/v1/agl/resources/latest', async ({ response }) => answer(response, await store.getLatestResources()))
    // `latest` is a literal route for GET; POST to it updates resources named `latest`.
    .on('POST', '/v1/agl/resources/latest', update)
    .on('POST', '/v1/agl/resources/:resources_id', update)
    .on('GET', '/v1/agl/resources/:resources_id', async ({ params, response }) => answer(response, await store.getResources(params.resources_id)));
}

/**
 * The body of add/update: named resources, each an object with a known `resource_type` —
 * Agent Lightning's union (`llm`, `proxy_llm`, `prompt_template`) and our `gateway_prompt`.
 */
function namedResources(body: Record<string, unknown>): NamedResources {
  for (const [name, resource] of Object.entries(body)) {
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
      throw StoreValidationError.at(['body', name], 'Input should be a valid dictionary', 'dict_type');
    }
    const type = (resource as { resource_type?: unknown }).resource_type;
    if (type === GATEWAY_PROMPT_RESOURCE_TYPE) {
      checkGatewayPromptResource(body as NamedResources, name, ['body', name, type]);
      continue;
    }
    if (type !== 'llm' && type !== 'proxy_llm' && type !== 'prompt_template') {
      throw StoreValidationError.at(
        ['body', name, 'resource_type'],
        "Input tag should be 'llm', 'proxy_llm', 'prompt_template' or 'gateway_prompt'",
        'union_tag_invalid',
      );
    }
    const required = type === 'prompt_template' ? ['template', 'engine'] : ['endpoint', 'model'];
    for (const field of required) {
      if (typeof (resource as Record<string, unknown>)[field] !== 'string') {
        throw StoreValidationError.at(['body', name, type, field], 'Field required (a string)', 'missing');
      }
    }
    if (type === 'prompt_template' && !['jinja', 'f-string', 'poml'].includes((resource as { engine: string }).engine)) {
      throw StoreValidationError.at(['body', name, type, 'engine'], "Input should be 'jinja', 'f-string' or 'poml'", 'enum');
    }
  }
  return body as NamedResources;
}
