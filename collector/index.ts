export { Collector } from './collector.ts';
export type { CollectorOptions } from './collector.ts';
