/** What the health thread is started with. */
export interface HealthWorkerData {
  host: string;
  port: number;
  corsOrigins: readonly string[];
  /** 8 bytes: the time (`Date.now()`) the collector's event loop last turned, written by the main thread. */
  heartbeat: SharedArrayBuffer;
  /** Health answers 503 once the heartbeat is older than this. */
  stallMillis: number;
}

/** What the health thread tells the main thread. */
export type HealthWorkerMessage = { kind: 'listening'; port: number } | { kind: 'failed'; code: string; message: string };
