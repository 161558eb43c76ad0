/**
 * The OTLP protobuf schema, loaded once at module load from the `.proto` files in `./proto/`.
 */
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';

const PROTO_ROOT = fileURLToPath(new URL('./proto/', import.meta.url));

const PROTO_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
] as const;

// Without long.js protobufjs decodes 64-bit fields into plain numbers and silently rounds
// nanosecond timestamps; make sure it is wired in before any decoder is generated.
if (!protobuf.util.Long) {
  protobuf.util.Long = Long as unknown as protobuf.Constructor<protobuf.Long>;
  protobuf.configure();
}

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports inside the .proto files are written relative to the proto root (as in the spec);
  // protobufjs would otherwise resolve them relative to the importing file.
  root.resolvePath = (_origin, target) => (target.startsWith(PROTO_ROOT) ? target : PROTO_ROOT + target);
  root.loadSync(PROTO_FILES as unknown as string[], { keepCase: false });
  root.resolveAll();
  return root;
}

/** The loaded protobuf root holding every OTLP trace, logs and metrics type and `google.rpc.Status`. */
export const otlpRoot: protobuf.Root = loadRoot();

/** The protobuf message types this folder reads and writes. */
export const otlpTypes = {
  /** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`. */
  exportTraceServiceRequest: otlpRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  /** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`. */
  exportTraceServiceResponse: otlpRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  /** `opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest`. */
  exportLogsServiceRequest: otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  /** `opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse`. */
  exportLogsServiceResponse: otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  /** `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest`. */
  exportMetricsServiceRequest: otlpRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  /** `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse`. */
  exportMetricsServiceResponse: otlpRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  /** `google.rpc.Status`. */
  rpcStatus: otlpRoot.lookupType('google.rpc.Status'),
} as const;
