import type { Router } from 'express';
import type { LightningStore } from '../../src/store/index.ts';
import { RouteTable } from '../http/route-table.ts';
import { registerResourcesRoutes } from './store-resources.ts';
import { registerRolloutRoutes } from './store-rollouts.ts';
import { registerSpanRoutes } from './store-spans.ts';
import { registerWorkerRoutes } from './store-workers.ts';
import { storeErrorHandler } from './store-wire.ts';

/**
 * The store family's router: Agent Lightning's store API (rollouts and attempts, resources,
 * workers, spans) with its error handler, which answers validation errors as FastAPI does.
 */
export function storeRouter(store: LightningStore): Router {
  const routes = new RouteTable();
  registerRolloutRoutes(routes, store);
  registerResourcesRoutes(routes, store);
  registerWorkerRoutes(routes, store);
  registerSpanRoutes(routes, store);
  return routes.router().use(storeErrorHandler);
}
