import type { Database } from '../../src/storage/index.ts';
import type { RouteHandler, RouteTable } from '../http/route-table.ts';
import { DashboardEvents } from './dashboard-events.ts';
import { registerDashboardResourceRoutes } from './dashboard-resources.ts';
import { registerDashboardRolloutRoutes } from './dashboard-rollouts.ts';
import { dashboardPageRoute } from './dashboard-static.ts';
import { registerDashboardTraceRoutes } from './dashboard-traces.ts';

/** What the collector keeps of the dashboard's routes. */
export interface DashboardRoutes {
  /** The static-file handler for a GET of a path outside `/v1/` (open without a token: files hold no data), else null. */
  pageRoute(method: string, pathname: string): RouteHandler | null;
  /** Ends the live event streams (call before closing the server: they never end by themselves). */
  close(): void;
}

/**
 * Registers the dashboard's read API under `/v1/agl/dashboard/` (rollouts, traces, spans,
 * resources, training, workers, and the live event stream) and gives the static-file handler for
 * the UI at `/`. The API follows the collector's token like every other `/v1/agl/` route.
 */
export function registerDashboardRoutes(routes: RouteTable, database: Database): DashboardRoutes {
  registerDashboardRolloutRoutes(routes, database);
  registerDashboardTraceRoutes(routes, database);
  registerDashboardResourceRoutes(routes, database);
  const events = new DashboardEvents(database);
  events.register(routes);
  return { pageRoute: (method, pathname) => dashboardPageRoute(method, pathname), close: () => events.close() };
}
