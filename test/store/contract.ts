import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Agent Lightning's store OpenAPI document as a JSON-schema validator: every `#/components/schemas/…`
 * reference resolves inside the document, and response bodies are checked against the schema the
 * contract gives for (path, method, status).
 */
const document = JSON.parse(readFileSync(new URL('../../docs/store-openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

// The OpenAPI `discriminator` (with `mapping`) is not JSON Schema: ignored; `oneOf` still decides.
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv) => void)(ajv);
ajv.addSchema({ $id: 'contract', components: document.components });

const cache = new Map<string, ValidateFunction>();

/** The validator of a contract response, or of a component schema by name. */
function validator(key: string, schema: () => unknown): ValidateFunction {
  let validate = cache.get(key);
  if (!validate) {
    const text = JSON.stringify(schema()).replaceAll('"#/components/', '"contract#/components/');
    validate = ajv.compile(JSON.parse(text));
    cache.set(key, validate);
  }
  return validate;
}

/** Asserts that `body` is what the contract says `method path` answers with `status`. */
export function assertResponse(method: string, path: string, status: number, body: unknown): void {
  const operation = document.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `The contract has no ${method} ${path}`);
  const response = operation.responses[String(status)];
  assert.ok(response, `The contract gives no ${status} for ${method} ${path}`);
  const schema = response.content?.['application/json']?.schema ?? {};
  const validate = validator(`${method} ${path} ${status}`, () => schema);
  assert.ok(validate(body), `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
}

/** Asserts that `body` validates against `#/components/schemas/<name>`. */
export function assertSchema(name: string, body: unknown): void {
  const validate = validator(name, () => ({ $ref: `#/components/schemas/${name}` }));
  assert.ok(validate(body), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
}

/** Every path of the contract (with its methods). */
export function contractOperations(): { path: string; method: string }[] {
  return Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })));
}
