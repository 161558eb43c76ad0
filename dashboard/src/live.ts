import { useEffect, useRef, useState } from 'react';
import { authHeaders, onTokenChange } from './api.ts';

/** What changed, as the collector's event stream says (`GET /v1/agl/dashboard/events`). */
export type Topic = 'rollouts' | 'spans' | 'resources' | 'workers' | 'training';

export interface LiveCounts {
  spans: number;
  rollouts: number;
  running: number;
}

export interface LiveState {
  connected: boolean;
  counts: LiveCounts | null;
  /** Increases with every change event. */
  changes: number;
  lastChangeAt: number | null;
}

type Listener = (topics: Topic[]) => void;

const topicListeners = new Set<Listener>();
const stateListeners = new Set<(state: LiveState) => void>();
let state: LiveState = { connected: false, counts: null, changes: 0, lastChangeAt: null };
let controller: AbortController | null = null;

function publish(next: Partial<LiveState>): void {
  state = { ...state, ...next };
  for (const listener of stateListeners) listener(state);
}

/**
 * The one event stream of the page: server-sent events read with `fetch` (unlike EventSource, it
 * can send the `Authorization` header), reconnecting a second after it drops.
 */
async function connect(): Promise<void> {
  controller?.abort();
  const own = new AbortController();
  controller = own;
  while (!own.signal.aborted) {
    try {
      const response = await fetch('/v1/agl/dashboard/events', { headers: authHeaders(), signal: own.signal });
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      publish({ connected: true });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          handleEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Dropped, refused (e.g. 401 until a token is entered) or aborted: try again below.
    }
    publish({ connected: false });
    if (!own.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function handleEvent(block: string): void {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const payload = JSON.parse(data) as { topics?: Topic[]; counts?: LiveCounts };
  if (event === 'ready') publish({ counts: payload.counts ?? null });
  if (event === 'change') {
    publish({ counts: payload.counts ?? state.counts, changes: state.changes + 1, lastChangeAt: Date.now() });
    for (const listener of topicListeners) listener(payload.topics ?? []);
  }
}

/** Starts the event stream (once), restarting it when the token changes. */
export function startLive(): void {
  if (controller) return;
  void connect();
  onTokenChange(() => void connect());
}

/** The stream's state, for the header's indicator. */
export function useLiveState(): LiveState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    stateListeners.add(setCurrent);
    return () => {
      stateListeners.delete(setCurrent);
    };
  }, []);
  return current;
}

/** Calls `onChange` when one of `topics` changes on the server. */
export function useLiveTopics(topics: readonly Topic[], onChange: () => void): void {
  const callback = useRef(onChange);
  callback.current = onChange;
  const key = topics.join(',');
  useEffect(() => {
    const wanted = key.split(',');
    const listener: Listener = (changed) => {
      if (changed.some((topic) => wanted.includes(topic))) callback.current();
    };
    topicListeners.add(listener);
    return () => {
      topicListeners.delete(listener);
    };
  }, [key]);
}
