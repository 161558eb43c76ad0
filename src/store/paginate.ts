import type { PageOptions } from './lightning-store.ts';
import { StoreValidationError } from './store-validation-error.ts';
import type { PaginatedResult } from './store-types.ts';

/** Checks `limit` (-1 or ≥ 0), `offset` (≥ 0) and `sortOrder`; throws a {@link StoreValidationError}. */
export function checkPage(options: PageOptions): { limit: number; offset: number; sortOrder: 'asc' | 'desc' } {
  const limit = options.limit ?? -1;
  const offset = options.offset ?? 0;
  const sortOrder = options.sortOrder ?? 'asc';
  if (!Number.isInteger(limit) || limit < -1) {
    throw StoreValidationError.at(['limit'], `Expected an integer ≥ -1 (-1: no limit), got ${JSON.stringify(limit)}`, 'int_type');
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw StoreValidationError.at(['offset'], `Expected an integer ≥ 0, got ${JSON.stringify(offset)}`, 'int_type');
  }
  if (sortOrder !== 'asc' && sortOrder !== 'desc') {
    throw StoreValidationError.at(['sort_order'], `Expected 'asc' or 'desc', got ${JSON.stringify(sortOrder)}`, 'enum');
  }
  return { limit, offset, sortOrder };
}

/**
 * Sorts (stable; `null` last in either order), then cuts a page. `sortBy` must be one of
 * `sortable`; without it the items keep their order (creation order), whatever `sortOrder` says.
 */
export function paginate<T extends object>(
  items: T[],
  options: PageOptions,
  sortable: readonly string[],
): PaginatedResult<T> {
  const { limit, offset, sortOrder } = checkPage(options);
  const sortBy = options.sortBy ?? null;
  if (sortBy !== null) {
    if (!sortable.includes(sortBy)) {
      throw StoreValidationError.at(['sort_by'], `Cannot sort by \`${sortBy}\`; use one of ${sortable.join(', ')}`, 'enum');
    }
    const direction = sortOrder === 'desc' ? -1 : 1;
    items = items
      .map((item, index) => ({ item, index, key: (item as Record<string, unknown>)[sortBy] }))
      .sort((a, b) => {
        if (a.key === b.key) return a.index - b.index;
        if (a.key === null || a.key === undefined) return 1;
        if (b.key === null || b.key === undefined) return -1;
        return ((a.key as number | string) < (b.key as number | string) ? -1 : 1) * direction;
      })
      .map(({ item }) => item);
  }
  const page = limit === -1 ? items.slice(offset) : items.slice(offset, offset + limit);
  return { items: page, limit, offset, total: items.length };
}
