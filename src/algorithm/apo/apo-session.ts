/**
 * One run of `APO`: the beam search itself (rounds, children, critiques and edits, scoring on
 * validation batches), resuming from `apo_rounds`, and the SQL reads of rewards and LLM calls.
 */
import { setMaxListeners } from 'node:events';
import type OpenAI from 'openai';
import { PromptTemplate } from '../../agent/index.ts';
import type { PromptTemplateEngine } from '../../agent/index.ts';
import type { Logger } from '../../logging/index.ts';
import type { NamedResources, RolloutMode } from '../../store/index.ts';
import type { AlgorithmContext, AlgorithmStore } from '../algorithm.ts';
import { readFinalRewards } from '../rollout-reward.ts';
import { TrainingFailedError, formatRolloutFailure, readRolloutFailure } from '../training-failed-error.ts';
import { newTally } from './apo-candidate.ts';
import type { BeamState, Candidate, Evaluation, RoundTally, ScoredRollout } from './apo-candidate.ts';
import { apoDataForStore } from './apo-data.ts';
import type { ApoData } from './apo-data.ts';
import { NO_LLM_CALLS_HINT, readExperiments } from './apo-experiments.ts';
import type { ResolvedApoOptions } from './apo-options.ts';
import { editMessage, extractTemplate, gradientMessage } from './apo-prompts.ts';
import type { ApoResult } from './apo-result.ts';
import { awaitRolloutBatch } from './apo-rollout-batch.ts';
import type { ApoCandidateScore, ApoRoundRecord } from './apo-round-record.ts';
import { startApoRun } from './apo-run-start.ts';
import { SeededRandom } from './concurrency-limit.ts';
import type { ConcurrencyLimit } from './concurrency-limit.ts';
import { checkTemplateEdit } from './template-check.ts';

/** One call of `APO.run`. */
export class ApoSession<TTask> {
  readonly #options: ResolvedApoOptions<TTask>;
  readonly #openai: OpenAI;
  readonly #limit: ConcurrencyLimit;
  readonly #store: AlgorithmStore;
  readonly #data: ApoData;
  readonly #signal: AbortSignal;
  readonly #log: Logger;
  readonly #train: readonly TTask[];
  readonly #val: readonly TTask[];
  readonly #fullValScores = new Map<string, number>();
  #engine: PromptTemplateEngine = 'f-string';
  /** The run's id (given, or derived from its fingerprint) and fingerprint, known once `run` starts. */
  #runId = '';
  #fingerprint = '';
  /** Whether the critique-without-LLM-calls warning was given (later ones are counted). */
  #warnedNoLlmCalls = false;
  /** The resources other than the prompt, carried into every candidate. */
  #baseResources: NamedResources = {};

  constructor(options: ResolvedApoOptions<TTask>, openai: OpenAI, limit: ConcurrencyLimit, context: AlgorithmContext<TTask>) {
    this.#options = options;
    this.#openai = openai;
    this.#limit = limit;
    this.#store = context.store;
    this.#data = options.data ?? context.data ?? apoDataForStore(context.store);
    this.#signal = context.signal;
    // Every concurrent wait and model call listens on this one signal: many listeners are expected.
    setMaxListeners(0, this.#signal);
    this.#log = context.log;
    this.#train = context.trainDataset;
    this.#val = context.valDataset && context.valDataset.length > 0 ? context.valDataset : context.trainDataset;
    if (this.#train.length === 0) throw new RangeError('APO needs a non-empty `trainDataset`');
  }

  async run(): Promise<ApoResult> {
    const rounds = await this.#startRun();
    let state = rounds.length > 0 ? await this.#resume(rounds) : await this.#begin(rounds);
    const startedAtRound = rounds[rounds.length - 1].round + 1;
    for (let round = startedAtRound; round <= this.#options.beamRounds; round++) {
      this.#signal.throwIfAborted();
      state = await this.#round(round, state, rounds);
    }
    const { best } = state;
    // The best prompt becomes the latest resources (a new version of its id), for the agents that follow.
    await this.#store.updateResources(best.candidate.resourcesId, this.#resourcesOf(best.candidate.template));
    return {
      runId: this.#runId,
      bestPrompt: new PromptTemplate(best.candidate.template, this.#engine),
      bestResourcesId: best.candidate.resourcesId,
      bestScore: best.score,
      baselineScore: state.baselineScore,
      rounds,
      startedAtRound,
      rejectedEdits: rounds.reduce((sum, round) => sum + round.rejected_edits, 0),
      timedOutRolloutIds: rounds.flatMap((round) => round.timed_out_rollout_ids),
    };
  }

  /** A run resumed after its last completed round: the beam, the best prompt and the scores known. */
  async #resume(rounds: readonly ApoRoundRecord[]): Promise<BeamState> {
    const last = rounds[rounds.length - 1];
    const beam = await Promise.all(last.beam.map((entry) => this.#loadCandidate(entry.resources_id, entry.parent_resources_id)));
    const best = { candidate: await this.#loadCandidate(last.best_resources_id ?? beam[0].resourcesId, null), score: last.best_val_score };
    for (const round of rounds) if (round.leader_resources_id && round.leader_val_score !== null) this.#fullValScores.set(round.leader_resources_id, round.leader_val_score);
    this.#log.info(`APO ${this.#runId}: resuming after round ${last.round} (best score ${formatScore(best.score)})`);
    return { beam, best, baselineScore: rounds[0].leader_val_score };
  }

  /** A new run: the initial prompt, scored on the full validation set (unless told not to), is round 0. */
  async #begin(rounds: ApoRoundRecord[]): Promise<BeamState> {
    const initial = await this.#initialCandidate();
    const tally = newTally(0);
    const baselineScore = this.#options.runInitialValidation ? await this.#baselineScore(initial, tally) : null;
    const best = { candidate: initial, score: baselineScore };
    const entry: ApoCandidateScore = { resources_id: initial.resourcesId, parent_resources_id: null, val_batch_score: null, kept: true };
    rounds.push(await this.#record(tally, [entry], [entry], initial, baselineScore, best));
    this.#log.info(`APO ${this.#runId}: initial prompt ${initial.resourcesId} scores ${formatScore(baselineScore)} on the full validation set`);
    return { beam: [initial], best, baselineScore };
  }

  /**
   * One round of the beam search: children of sampled parents, the beam and the children scored on
   * one validation batch, the top `beamWidth` kept, the leader scored on the full validation set.
   * Its record is appended to `rounds`.
   */
  async #round(round: number, state: BeamState, rounds: ApoRoundRecord[]): Promise<BeamState> {
    const { beamRounds, beamWidth, branchFactor } = this.#options;
    const tally = newTally(round);
    const random = new SeededRandom(this.#options.seed * 1_000_003 + round);
    const parents = random.choose(state.beam, beamWidth);
    // Draw every batch before anything runs, so that concurrency cannot change the draws.
    const jobs = parents.flatMap((parent, parentIndex) =>
      Array.from({ length: branchFactor }, (_, branch) => ({
        parent,
        index: parentIndex * branchFactor + branch,
        batch: random.sample(this.#train, this.#options.gradientBatchSize),
      })),
    );
    const valScore = this.#valBatchScorer(random.sample(this.#val, this.#options.valBatchSize), tally);
    const concurrent = this.#options.schedule === 'concurrent';
    const childSteps = jobs.map((job) => async () => {
      const child = await this.#child(job.parent, job.batch, job.index, tally);
      if (child && concurrent) void valScore(child);
      return child;
    });
    const childrenDone = this.#all(childSteps);
    if (concurrent) for (const candidate of state.beam) void valScore(candidate);
    const children = (await childrenDone).filter((child) => child !== null);

    const seen = new Set<string>();
    const pool = [...state.beam, ...children].filter((candidate) => !seen.has(candidate.template) && seen.add(candidate.template));
    const scores = await this.#all(pool.map((candidate) => () => valScore(candidate)));
    const ranked = pool.map((candidate, index) => ({ candidate, score: scores[index], index })).sort((a, b) => b.score - a.score || a.index - b.index);
    const beam = ranked.slice(0, beamWidth).map((entry) => entry.candidate);
    const leader = beam[0];
    const leaderScore = await this.#fullValScore(leader, tally);
    const best = state.best.score === null || leaderScore > state.best.score ? { candidate: leader, score: leaderScore } : state.best;
    const entries: ApoCandidateScore[] = ranked.map((entry, rank) => ({
      resources_id: entry.candidate.resourcesId,
      parent_resources_id: entry.candidate.parentResourcesId,
      val_batch_score: entry.score,
      kept: rank < beamWidth,
    }));
    rounds.push(await this.#record(tally, entries, entries.filter((entry) => entry.kept), leader, leaderScore, best));
    this.#log.info(
      `APO ${this.#runId} round ${round}/${beamRounds}: ${children.length} children (${tally.rejectedEdits} edits rejected), ` +
        `leader ${leader.resourcesId} ${formatScore(leaderScore)} on the full validation set, best ${formatScore(best.score)}` +
        `${tally.failed > 0 ? `; ${tally.failed} rollouts failed` : ''}` +
        `${tally.critiquesWithoutLlmCalls > 0 ? `; ${tally.critiquesWithoutLlmCalls} critiques written without LLM calls` : ''}`,
    );
    return { beam, best, baselineScore: state.baselineScore };
  }

  /**
   * Scores candidates on one validation batch, each distinct prompt once. On the concurrent
   * schedule a candidate's scoring starts as soon as it exists (the beam's at once, behind the
   * children's train rollouts in the queue; each child's when its edit is accepted): no barrier
   * between the children and the validation.
   */
  #valBatchScorer(valBatch: readonly TTask[], tally: RoundTally): (candidate: Candidate) => Promise<number> {
    const valScores = new Map<string, Promise<number>>();
    return (candidate) => {
      let score = valScores.get(candidate.template);
      if (!score) {
        score = this.#evaluate(candidate, valBatch, 'val', tally).then((evaluation) => evaluation.score);
        score.catch(() => undefined); // Awaited by the round; an early failure must not be unhandled meanwhile.
        valScores.set(candidate.template, score);
      }
      return score;
    };
  }

  /** Runs independent steps: all at once, or one after another on the `'sequential'` schedule. */
  async #all<T>(steps: (() => Promise<T>)[]): Promise<T[]> {
    if (this.#options.schedule === 'concurrent') return Promise.all(steps.map((step) => step()));
    const results: T[] = [];
    for (const step of steps) results.push(await step());
    return results;
  }

  /** One child: run the parent on `batch`, critique it, apply the critique; null when the edit is refused. */
  async #child(parent: Candidate, batch: TTask[], index: number, tally: RoundTally): Promise<Candidate | null> {
    const evaluation = await this.#evaluate(parent, batch, 'train', tally);
    const experiments = await readExperiments(this.#data, evaluation.rollouts.slice(0, this.#options.gradientBatchSize), this.#options.critiqueTaskInput);
    if (experiments.length > 0 && experiments.every((experiment) => experiment.llm_calls.length === 0)) this.#noteCritiqueWithoutLlmCalls(parent, experiments, tally);
    const seed = this.#options.seed * 1_000_003 + tally.round * 1009 + index;
    const critique = await this.#complete(this.#options.gradientModel, gradientMessage(index, parent.template, experiments), seed);
    const reply = await this.#complete(this.#options.applyEditModel, editMessage(index, parent.template, critique), seed);
    const edited = extractTemplate(reply);
    const check = checkTemplateEdit(parent.template, edited, this.#engine);
    if (!check.ok) {
      tally.rejectedEdits++;
      this.#log.warn(`APO round ${tally.round}: edit of ${parent.resourcesId} rejected (${check.reason}); it is not run`);
      return null;
    }
    const added = await this.#store.addResources(this.#resourcesOf(edited));
    return { resourcesId: added.resources_id, template: edited, parentResourcesId: parent.resourcesId };
  }

  /**
   * A critique is about to be written from rollouts with no recorded LLM call: the critic sees the
   * rewards but none of the conversations. Warned about once per run (with what to add to the
   * agent), then counted in `apo_rounds.critiques_without_llm_calls`.
   */
  #noteCritiqueWithoutLlmCalls(parent: Candidate, experiments: { status: string }[], tally: RoundTally): void {
    tally.critiquesWithoutLlmCalls++;
    if (this.#warnedNoLlmCalls) return;
    this.#warnedNoLlmCalls = true;
    const allFailed = experiments.every((experiment) => experiment.status !== 'succeeded');
    this.#log.warn(
      `APO round ${tally.round}: the critique of ${parent.resourcesId} is written from ${experiments.length} rollouts with no recorded LLM calls ` +
        `(it sees their rewards, not their conversations). ` +
        (allFailed ? 'Those rollouts all failed (see the failures logged above); if the agent does call a model, ' : '') +
        `${NO_LLM_CALLS_HINT} Further critiques like this are counted in apo_rounds.critiques_without_llm_calls.`,
    );
  }

  /** Each rollout's final reward (its latest attempt's row of the `final_rewards` view). */
  #rewards(rolloutIds: readonly string[]): Promise<Map<string, number>> {
    return readFinalRewards(this.#data, rolloutIds);
  }

  /**
   * Runs `candidate` on `tasks` and scores it: the mean reward, failures and rollouts unfinished by
   * the batch deadline counting 0. Unfinished rollouts are cancelled and reported.
   */
  async #evaluate(candidate: Candidate, tasks: readonly TTask[], mode: RolloutMode, tally: RoundTally): Promise<Evaluation<TTask>> {
    this.#signal.throwIfAborted();
    const enqueued = await this.#store.enqueueRollouts(
      tasks.map((input) => ({
        input,
        mode,
        resourcesId: candidate.resourcesId,
        config: this.#options.rolloutConfig ?? undefined,
        metadata: { apo_run_id: this.#runId, apo_round: tally.round },
      })),
    );
    const ids = enqueued.map((rollout) => rollout.rollout_id);
    const finished = await awaitRolloutBatch(this.#store, ids, this.#options, this.#signal);
    const unfinished = ids.filter((id) => !finished.has(id));
    if (unfinished.length > 0) {
      tally.timedOut.push(...unfinished);
      this.#log.warn(
        `APO round ${tally.round}: ${unfinished.length} of ${ids.length} rollouts of ${candidate.resourcesId} did not finish within ` +
          `${this.#options.rolloutBatchTimeoutSeconds} s and are scored as failures: ${unfinished.join(', ')}`,
      );
      await Promise.all(unfinished.map((id) => this.#store.cancelRollout(id).catch(() => undefined)));
    }
    const rewards = await this.#rewards([...finished.keys()].filter((id) => finished.get(id) === 'succeeded'));
    const rollouts = ids.map((rolloutId, index): ScoredRollout<TTask> => {
      const status = finished.get(rolloutId) ?? 'timeout';
      return { rolloutId, task: tasks[index], status, reward: status === 'succeeded' ? (rewards.get(rolloutId) ?? 0) : 0 };
    });
    const score = rollouts.length === 0 ? 0 : rollouts.reduce((sum, rollout) => sum + rollout.reward, 0) / rollouts.length;
    const failed = rollouts.filter((rollout) => rollout.status === 'failed' || rollout.status === 'cancelled').length;
    tally.failed += failed;
    const share = `${failed} of ${rollouts.length} ${mode} rollouts of ${candidate.resourcesId} failed (${rollouts.length === 0 ? 0 : Math.round((100 * failed) / rollouts.length)}%)`;
    if (failed > 0) this.#log.warn(`APO round ${tally.round}: ${share}; they score 0`);
    else this.#log.debug(`APO round ${tally.round}: ${share}`);
    return { score, rollouts, failed };
  }

  /**
   * The initial prompt's full-validation score. When every one of its rollouts fails, nothing the
   * run could do would mean anything: it stops with the first failure's error.
   */
  async #baselineScore(initial: Candidate, tally: RoundTally): Promise<number> {
    const evaluation = await this.#evaluate(initial, this.#val, 'val', tally);
    const failed = evaluation.rollouts.filter((rollout) => rollout.status !== 'succeeded');
    if (evaluation.rollouts.length > 0 && failed.length === evaluation.rollouts.length) {
      const first = failed.find((rollout) => rollout.status !== 'timeout') ?? failed[0];
      const failure = first.status === 'timeout'
        ? { rolloutId: first.rolloutId, type: null, message: `it did not finish within ${this.#options.rolloutBatchTimeoutSeconds} s`, origin: null }
        : await readRolloutFailure(this.#store, first.rolloutId);
      throw new TrainingFailedError(
        `APO ${this.#runId}: the baseline evaluation failed entirely — all ${failed.length} validation rollouts of the initial prompt ` +
          `${initial.resourcesId} failed. First error: ${formatRolloutFailure(failure)}`,
        failure,
      );
    }
    this.#fullValScores.set(initial.resourcesId, evaluation.score);
    return evaluation.score;
  }

  async #fullValScore(candidate: Candidate, tally: RoundTally): Promise<number> {
    const known = this.#fullValScores.get(candidate.resourcesId);
    if (known !== undefined) return known;
    const { score } = await this.#evaluate(candidate, this.#val, 'val', tally);
    this.#fullValScores.set(candidate.resourcesId, score);
    return score;
  }

  async #complete(model: string, content: string, seed: number): Promise<string> {
    return this.#limit.run(async () => {
      this.#signal.throwIfAborted();
      const completion = await this.#openai.chat.completions.create(
        { model, messages: [{ role: 'user', content }], temperature: this.#options.diversityTemperature, seed },
        { signal: this.#signal },
      );
      return completion.choices[0]?.message?.content ?? '';
    });
  }

  async #record(
    tally: RoundTally,
    candidates: ApoCandidateScore[],
    beam: ApoCandidateScore[],
    leader: Candidate,
    leaderScore: number | null,
    best: { candidate: Candidate; score: number | null },
  ): Promise<ApoRoundRecord> {
    const record: ApoRoundRecord = {
      run_id: this.#runId,
      round: tally.round,
      completed_at: Date.now() / 1000,
      candidates,
      beam,
      leader_resources_id: leader.resourcesId,
      leader_val_score: leaderScore,
      best_resources_id: best.candidate.resourcesId,
      best_val_score: best.score,
      rejected_edits: tally.rejectedEdits,
      timed_out_rollouts: tally.timedOut.length,
      timed_out_rollout_ids: tally.timedOut,
      failed_rollouts: tally.failed,
      critiques_without_llm_calls: tally.critiquesWithoutLlmCalls,
      run_fingerprint: this.#fingerprint,
    };
    await this.#data.recordRound(record);
    this.#options.onRound?.(record);
    return record;
  }

  /** Finds the run (see `startApoRun`): its id, fingerprint and completed rounds. */
  async #startRun(): Promise<ApoRoundRecord[]> {
    const run = await startApoRun({ store: this.#store, data: this.#data, options: this.#options, train: this.#train, val: this.#val });
    this.#runId = run.runId;
    this.#fingerprint = run.fingerprint;
    return run.rounds;
  }

  /** The latest resources' prompt: the initial candidate. */
  async #initialCandidate(): Promise<Candidate> {
    const latest = await this.#store.getLatestResources();
    if (!latest) throw new Error(`APO needs the initial prompt in the store: add resources with a \`${this.#options.promptResourceName}\` prompt template first`);
    return this.#candidateOf(latest.resources_id, latest.resources, null);
  }

  async #loadCandidate(resourcesId: string, parentResourcesId: string | null): Promise<Candidate> {
    const update = await this.#store.getResources(resourcesId);
    if (!update) throw new Error(`APO cannot resume: resources ${resourcesId} of run ${this.#runId} are not in the store`);
    return this.#candidateOf(resourcesId, update.resources, parentResourcesId);
  }

  #candidateOf(resourcesId: string, resources: NamedResources, parentResourcesId: string | null): Candidate {
    const name = this.#options.promptResourceName;
    const resource = resources[name];
    if (!resource || resource.resource_type !== 'prompt_template') {
      throw new Error(`APO expected resources ${resourcesId} to hold a prompt template named \`${name}\``);
    }
    const prompt = PromptTemplate.fromResource(resource);
    this.#engine = prompt.engine;
    this.#baseResources = Object.fromEntries(Object.entries(resources).filter(([key]) => key !== name));
    return { resourcesId, template: prompt.template, parentResourcesId };
  }

  #resourcesOf(template: string): NamedResources {
    return { ...this.#baseResources, [this.#options.promptResourceName]: new PromptTemplate(template, this.#engine).toResource() };
  }
}

function formatScore(score: number | null): string {
  return score === null ? 'n/a' : score.toFixed(3);
}
