import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, onTokenChange } from './api.ts';
import { useLiveTopics } from './live.ts';
import type { Topic } from './live.ts';

export interface ApiState<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `path` (null: nothing) and keeps it fresh: again when the path or the token changes, and
 * when the live stream says one of `topics` changed (without clearing what is shown meanwhile).
 */
export function useApi<T>(path: string | null, topics: readonly Topic[] = []): ApiState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [version, setVersion] = useState(0);
  const shownPath = useRef<string | null>(null);
  const reload = useCallback(() => setVersion((value) => value + 1), []);
  useEffect(() => onTokenChange(reload), [reload]);
  useLiveTopics(topics, reload);
  useEffect(() => {
    if (path === null) {
      setData(null);
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    if (shownPath.current !== path) {
      // Another page of data: do not show the previous one under it.
      setData(null);
      shownPath.current = path;
    }
    setLoading(true);
    api<T>(path, { signal: controller.signal })
      .then((result) => {
        setData(result);
        setError(null);
        setLoading(false);
      })
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(caught instanceof Error ? caught : new Error(String(caught)));
        setLoading(false);
      });
    return () => controller.abort();
  }, [path, version]);
  return { data, error, loading, reload };
}
