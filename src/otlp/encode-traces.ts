/**
 * Plain objects → binary OTLP `ExportTraceServiceRequest`, for tests and benchmarks.
 */
import type {
  OtlpAnyValue,
  OtlpExportTraceServiceRequest,
  OtlpInt64,
  OtlpKeyValue,
  OtlpResourceSpans,
  OtlpScopeSpans,
  OtlpSpan,
} from './otlp-messages.ts';
import { otlpTypes } from './proto-schema.ts';

/**
 * Encodes an `ExportTraceServiceRequest` given in the protobufjs object shape (lowerCamelCase
 * fields, ids as `Uint8Array`, 64-bit integers as `bigint`, `number`, decimal string or `Long`).
 * Fields are not validated: invalid ids are encoded as given, which is what tests of the
 * decoder's rejections need.
 */
export function encodeTracesProtobuf(request: OtlpExportTraceServiceRequest): Uint8Array {
  const message = { resourceSpans: (request.resourceSpans ?? []).map(normalizeResourceSpans) };
  return otlpTypes.exportTraceServiceRequest.encode(message).finish();
}

// protobufjs writes 64-bit fields from numbers, strings or { low, high }, and silently writes 0 for
// a bigint; the normalizers below copy only the objects that carry bigints.

function normalizeResourceSpans(resourceSpans: OtlpResourceSpans): OtlpResourceSpans {
  const resource = resourceSpans.resource;
  return {
    ...resourceSpans,
    resource: resource && { ...resource, attributes: normalizeKeyValues(resource.attributes) },
    scopeSpans: resourceSpans.scopeSpans?.map(normalizeScopeSpans),
  };
}

function normalizeScopeSpans(scopeSpans: OtlpScopeSpans): OtlpScopeSpans {
  const scope = scopeSpans.scope;
  return {
    ...scopeSpans,
    scope: scope && { ...scope, attributes: normalizeKeyValues(scope.attributes) },
    spans: scopeSpans.spans?.map(normalizeSpan),
  };
}

function normalizeSpan(span: OtlpSpan): OtlpSpan {
  return {
    ...span,
    startTimeUnixNano: toLongBits(span.startTimeUnixNano),
    endTimeUnixNano: toLongBits(span.endTimeUnixNano),
    attributes: normalizeKeyValues(span.attributes),
    events: span.events?.map((event) => ({
      ...event,
      timeUnixNano: toLongBits(event.timeUnixNano),
      attributes: normalizeKeyValues(event.attributes),
    })),
    links: span.links?.map((link) => ({ ...link, attributes: normalizeKeyValues(link.attributes) })),
  };
}

function normalizeKeyValues(keyValues: OtlpKeyValue[] | undefined): OtlpKeyValue[] | undefined {
  if (keyValues === undefined || !keyValues.some(hasBigInt)) return keyValues;
  return keyValues.map((keyValue) => (hasBigInt(keyValue) ? { key: keyValue.key, value: normalizeAnyValue(keyValue.value!) } : keyValue));
}

function hasBigInt(keyValue: OtlpKeyValue): boolean {
  return keyValue.value !== undefined && anyValueHasBigInt(keyValue.value);
}

function anyValueHasBigInt(value: OtlpAnyValue): boolean {
  if (typeof value.intValue === 'bigint') return true;
  if (value.arrayValue?.values?.some(anyValueHasBigInt)) return true;
  return value.kvlistValue?.values?.some(hasBigInt) ?? false;
}

function normalizeAnyValue(value: OtlpAnyValue): OtlpAnyValue {
  if (typeof value.intValue === 'bigint') return { intValue: toLongBits(value.intValue) };
  if (value.arrayValue?.values) return { arrayValue: { values: value.arrayValue.values.map(normalizeAnyValue) } };
  if (value.kvlistValue?.values) return { kvlistValue: { values: normalizeKeyValues(value.kvlistValue.values) } };
  return value;
}

function toLongBits(value: OtlpInt64 | undefined): OtlpInt64 | undefined {
  if (typeof value !== 'bigint') return value;
  return { low: Number(BigInt.asUintN(32, value)) | 0, high: Number(BigInt.asIntN(32, value >> 32n)) };
}
