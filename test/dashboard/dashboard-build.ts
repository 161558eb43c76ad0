import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_DIST } from '../../collector/routes/dashboard-static.ts';

const DASHBOARD = fileURLToPath(new URL('../../dashboard/', import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure `dashboard/dist` is the build of the current sources: `npm ci` builds it (`prepare`),
 * but a source edited since would otherwise be tested in its old form. Builds with Vite when the
 * build is missing or older than a source file.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DASHBOARD_DIST, 'index.html');
  const sources = Math.max(newestSource(join(DASHBOARD, 'src')), statSync(join(DASHBOARD, 'index.html')).mtimeMs, statSync(join(DASHBOARD, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(DASHBOARD, 'vite.config.ts'), logLevel: 'warn' });
}
