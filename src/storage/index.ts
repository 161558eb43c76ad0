export { Database } from './database.ts';
export { DuckDBSpanSink } from './duckdb-span-sink.ts';
export { attributesToJson, valueToJson } from './json-text.ts';
export { SCHEMA_VERSION, migrate } from './migrations.ts';
export { runReadOnlyQuery } from './read-only-query.ts';
export type { DatabaseOptions } from './database.ts';
export type { DuckDBSpanSinkOptions } from './duckdb-span-sink.ts';
export type { QueryColumn, QueryResult, ReadOnlyQueryOptions } from './read-only-query.ts';
export type { MappedSpan, SinkWriteResult, SpanSink } from './span-sink.ts';
