import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { APO, PromptTemplate, Trainer } from '../../src/index.ts';
import type { ApoResult } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { describeFailure } from '../../src/runner/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { BASELINE_PROMPT, createRoomSelectorAgent } from '../../examples/room-selector/room-agent.ts';
import { TRAIN_TASKS, VAL_TASKS } from '../../examples/room-selector/room-data.ts';
import type { RoomTask } from '../../examples/room-selector/room-data.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { launchBrowser, screenshotInk } from './browser.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

/**
 * The dashboard in Debian's Chromium (playwright-core), against a real collector that a real APO
 * training on the simulated model fills while the page is open: a live update arriving without
 * reload, every page, a rollout, its trace and an LLM call, a diff of two prompt versions. Each
 * page's screenshot must show content (set AGL_DASHBOARD_SCREENSHOT to a path to keep the
 * Training page's, as in the README). And with `--token`, the page asks for the token.
 */

const TOKEN = 'dashboard-browser-token';

test('dashboard: with --token the pages load, ask for the token and then show the data', { timeout: 60_000 }, async () => {
  await ensureDashboardBuilt();
  const collector = await startTestCollector({ token: TOKEN });
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    await page.goto(`${collector.url}/rollouts`);
    await page.getByText('This collector requires a token').waitFor();
    await page.getByLabel('token').first().fill('wrong');
    await page.getByRole('button', { name: 'Use token' }).first().click();
    await page.getByText('This collector requires a token').waitFor();
    await page.getByLabel('token').first().fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).first().click();
    await page.getByText('No rollouts yet.').waitFor();
    await page.locator('[data-testid=live].on').waitFor();
    // A write from the page (cancel) carries the token too.
    const [rollout] = await collector.store.enqueueRollouts([{ input: { task: 'dashboard' } }]);
    await page.goto(`${collector.url}/rollouts/${rollout.rollout_id}`);
    await page.getByRole('button', { name: 'Cancel rollout' }).click();
    await page.locator('h1 .status-cancelled').waitFor();
    assert.equal((await collector.store.getRollout(rollout.rollout_id))?.status, 'cancelled');
  } finally {
    await browser.close();
    await collector.close();
  }
});

test('dashboard: every page in a real browser during and after an APO training', { timeout: 150_000 }, async () => {
  await ensureDashboardBuilt();
  const sim = await SimLlmServer.start({ port: 0, seed: 0 });
  const collector = await startTestCollector();
  const browser = await launchBrowser();
  const shots = tempDir('agl-dashboard-shots-');
  const pageErrors: string[] = [];
  const { page, context } = browser;
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(20_000);
  const shoot = async (name: string, expectedText: string) => {
    await page.getByText(expectedText, { exact: false }).first().waitFor();
    const png = await page.screenshot({ fullPage: false });
    writeFileSync(join(shots, `${name}.png`), png);
    const { inkShare, colours } = await screenshotInk(context, png);
    assert.ok(inkShare > 0.05 && colours > 20, `${name}: the screenshot looks blank (ink ${inkShare.toFixed(3)}, ${colours} colours)`);
    return join(shots, `${name}.png`);
  };
  let training: Promise<ApoResult> | null = null;
  try {
    await page.goto(`${collector.url}/rollouts`);
    await page.getByText('No rollouts yet.').waitFor();
    await page.locator('[data-testid=live].on').waitFor();

    // A training starts while the page is open: its rollouts appear without a reload.
    const openai = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
    const trainer = new Trainer<RoomTask, ApoResult>({
      algorithm: new APO<RoomTask>(openai, { beamRounds: 1, beamWidth: 2, branchFactor: 2, valBatchSize: 6, gradientBatchSize: 4, seed: 1 }),
      nRunners: 4,
      store: collector.url,
      initialResources: { prompt_template: new PromptTemplate(BASELINE_PROMPT) },
      runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
      logger: createLogger('warn'),
    });
    training = trainer.fit(createRoomSelectorAgent({ openai }), { trainDataset: TRAIN_TASKS, valDataset: VAL_TASKS });
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    await page.locator('[data-testid=rollouts-table] tbody tr').first().waitFor({ timeout: 30_000 });
    assert.ok(Number(await page.locator('[data-testid=live]').getAttribute('data-changes')) > 0, 'a change event arrived');
    assert.deepEqual(navigations, [], 'the rows came without a reload');
    const result = await training;
    training = null;
    assert.ok(result.bestScore !== null);

    // Rollouts: filters, then one rollout with its attempts and rewards.
    await page.getByLabel('status').selectOption('succeeded');
    await page.waitForURL(/status=succeeded/);
    await shoot('rollouts', 'Clear filters');
    await page.locator('[data-testid=rollouts-table] tbody tr a').first().click();
    await page.locator('[data-testid=attempts-table]').waitFor();
    await page.locator('[data-testid=rewards-table]').waitFor();
    await shoot('rollout', 'Attempts');

    // Its trace: the waterfall, then an LLM call as a conversation.
    await page.getByRole('link', { name: 'trace', exact: true }).first().click();
    await page.locator('[data-testid=waterfall]').waitFor();
    await page.locator('.waterfall-row', { hasText: 'LLM' }).first().click();
    const conversation = page.locator('[data-testid=conversation]');
    await conversation.waitFor();
    assert.match(await conversation.innerText(), /model gpt-4\.1-nano · \d+ input \/ \d+ output tokens/);
    await page.getByText('get_rooms_and_availability').first().waitFor();
    await shoot('trace', 'LLM call');

    // Traces: browsable by service; open one.
    await page.getByRole('link', { name: 'Traces' }).click();
    await page.locator('[data-testid=traces-table] tbody tr').first().waitFor();
    await shoot('traces', 'agentlightning.rollout');
    await page.locator('[data-testid=traces-table] tbody tr a').first().click();
    await page.locator('[data-testid=span-panel]').waitFor();

    // Resources: compare the baseline (oldest) with the newest version.
    await page.getByRole('link', { name: 'Resources' }).click();
    const radiosA = page.locator('input[type=radio][name=a]');
    await radiosA.first().waitFor();
    await radiosA.last().check();
    await page.locator('input[type=radio][name=b]').first().check();
    const diff = page.locator('[data-testid=diff]');
    await diff.waitFor();
    assert.match(await diff.innerText(), /\d+ lines added, \d+ removed/);
    assert.ok((await page.locator('.diff-added, .diff-removed').count()) > 0, 'the two prompts differ');
    await shoot('resources', 'Diff');

    // Training: the trajectory chart, rounds and the best prompt.
    await page.getByRole('link', { name: 'Training' }).click();
    await page.locator('[data-testid=chart] circle').first().waitFor();
    assert.ok((await page.locator('[data-testid=rounds-table] tbody tr').count()) >= 2, 'baseline and round 1');
    assert.match(await page.locator('[data-testid=best-prompt]').innerText(), /\{date\}/);
    assert.equal(await page.locator('[data-testid=failed-rollouts] .big').innerText(), '0');
    const trainingShot = await shoot('training', 'Best prompt');
    if (process.env.AGL_DASHBOARD_SCREENSHOT) copyFileSync(trainingShot, process.env.AGL_DASHBOARD_SCREENSHOT);

    // A failed rollout's page shows its exception, as its runner recorded it.
    const store = new StoreClient({ baseUrl: collector.url });
    const [queued] = await store.enqueueRollouts([{ input: { ticket: 'broken' } }]);
    const [taken] = await store.dequeueRollouts({ limit: 1, workerId: 'worker-failing' });
    assert.equal(taken.rollout_id, queued.rollout_id);
    const failure = describeFailure(new TypeError('grader exploded on broken'));
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'failed', metadata: { error: failure } });
    await page.goto(`${collector.url}/rollouts/${taken.rollout_id}`);
    const exception = page.locator('[data-testid=attempt-error]');
    await exception.waitFor();
    const shown = await exception.innerText();
    assert.match(shown, /TypeError: grader exploded on broken/);
    assert.ok(failure.origin && shown.includes(`at ${failure.origin}`), shown);

    // Workers: the training's runners with their last heartbeat.
    await page.getByRole('link', { name: 'Workers' }).click();
    await page.locator('[data-testid=workers-table] tbody tr').first().waitFor();
    await shoot('workers', 'last heartbeat');

    assert.deepEqual(pageErrors, []);
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    await training?.catch(() => undefined);
    await browser.close();
    await collector.close();
    await sim.close();
  }
});
