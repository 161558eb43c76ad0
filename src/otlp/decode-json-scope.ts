/**
 * What the OTLP/JSON decoders of spans and of log records share above the record: the resource of
 * a `ResourceSpans` / `ResourceLogs` element and the context of each scope in it. The records
 * themselves are decoded by each signal's own code.
 */
import type { Attributes } from '../spans/index.ts';
import { decodeAttributes } from './decode-json-attributes.ts';
import { asObject, asString } from './json-field-readers.ts';
import type { JsonObject } from './json-field-readers.ts';

/** A resource element's attributes and schema URL. */
export interface JsonResourceContext {
  resource: Attributes;
  resourceSchemaUrl: string;
}

/** What the records of one scope element (`ScopeSpans`, `ScopeLogs`) share. */
export interface JsonScopeContext extends JsonResourceContext {
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** The resource of a `ResourceSpans` / `ResourceLogs` element (lowerCamelCase or snake_case keys). */
export function decodeJsonResource(element: JsonObject): JsonResourceContext {
  const resourceObject = asObject(element.resource, 'resource');
  const resource: Attributes = {};
  if (resourceObject !== undefined) decodeAttributes(resourceObject.attributes, resource, 'resource.attributes');
  return { resource, resourceSchemaUrl: asString(element.schemaUrl ?? element.schema_url, 'schemaUrl') };
}

/** The context of a scope element's records: its resource's, and the scope's name, version and attributes (`scope` as read, if any). */
export function decodeJsonScope(scope: JsonObject | undefined, resource: JsonResourceContext): JsonScopeContext {
  const context: JsonScopeContext = { resource: resource.resource, resourceSchemaUrl: resource.resourceSchemaUrl, scopeName: '', scopeVersion: '', scopeAttributes: {} };
  if (scope !== undefined) {
    context.scopeName = asString(scope.name, 'scope.name');
    context.scopeVersion = asString(scope.version, 'scope.version');
    decodeAttributes(scope.attributes, context.scopeAttributes, 'scope.attributes');
  }
  return context;
}
