export { Collector } from './collector.ts';
export { PortInUseError } from './port-in-use-error.ts';
export type { CollectorOptions } from './collector.ts';
export type { CollectorListener } from './port-in-use-error.ts';
