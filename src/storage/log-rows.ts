/**
 * The rows of ingested log records: one `logs` row each, and a `log_llm_messages` row for each
 * GenAI event tied to a span (the messages `llm_calls` adds to that span's call).
 */
import type { LogRecord } from '../otlp/index.ts';
import type { LogRecordMapping } from '../semconv/index.ts';
import type { Attributes } from '../spans/index.ts';
import { attributesToJson, valueToJson } from './json-text.ts';
import { RECORD_TABLE_COLUMNS } from './record-rows.ts';
import type { RecordRows } from './record-rows.ts';
import { RowPacker } from './row-pack.ts';

/** A decoded log record together with what the mapper read from it. */
export interface MappedLogRecord {
  record: LogRecord;
  mapping: LogRecordMapping;
}

/** Builds the rows of `mapped`, in order (a record's position orders GenAI events of equal time). */
export function toLogRows(mapped: readonly MappedLogRecord[]): RecordRows {
  const logs = new RowPacker(RECORD_TABLE_COLUMNS.logs, mapped.length);
  const messages = new RowPacker(RECORD_TABLE_COLUMNS.log_llm_messages);
  const resourceJson = new Map<Attributes, string>();
  for (let index = 0; index < mapped.length; index++) {
    const { record, mapping } = mapped[index]!;
    let resource = resourceJson.get(record.resource);
    if (resource === undefined) {
      resource = attributesToJson(record.resource);
      resourceJson.set(record.resource, resource);
    }
    const serviceName = record.resource['service.name'];
    logs.add(record.timeUnixNano);
    logs.add(record.observedTimeUnixNano);
    logs.add(record.traceId);
    logs.add(record.spanId);
    logs.add(record.severityNumber);
    logs.add(record.severityText || null);
    logs.add(record.body === null ? null : valueToJson(record.body));
    logs.add(attributesToJson(record.attributes));
    logs.add(resource);
    logs.add(record.scopeName || null);
    logs.add(record.scopeVersion || null);
    logs.add(typeof serviceName === 'string' && serviceName !== '' ? serviceName : null);
    logs.add(mapping.eventName);
    logs.add(mapping.rolloutId);
    logs.add(mapping.attemptId);
    logs.add(record.flags);
    logs.add(record.droppedAttributesCount);

    const llm = mapping.llmMessages;
    if (llm !== null && record.traceId !== null && record.spanId !== null) {
      messages.add(record.traceId);
      messages.add(record.spanId);
      messages.add(mapping.rolloutId);
      messages.add(mapping.attemptId);
      messages.add(mapping.eventName);
      messages.add(record.timeUnixNano === 0n ? record.observedTimeUnixNano : record.timeUnixNano);
      messages.add(index);
      messages.add(llm.choiceIndex);
      messages.add(JSON.stringify(llm.inputMessages));
      messages.add(JSON.stringify(llm.outputMessages));
      messages.add(JSON.stringify(llm.finishReasons));
    }
  }
  return { recordCount: mapped.length, tables: { logs: logs.finish(), log_llm_messages: messages.finish() } };
}
