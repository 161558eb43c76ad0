import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentResources, LitAgent, PromptTemplate, rollout } from '../../src/agent/index.ts';
import type { RolloutContext } from '../../src/agent/index.ts';
import { attributesOf, ids, spansOf, useTracingCollector } from './tracing-harness.ts';

/**
 * The tracing SDK end to end (agents): agents run through `rollout()` / `LitAgent`, spans exported
 * by the official OTLP/protobuf exporter to a real collector, and read back from DuckDB.
 */

useTracingCollector();

describe('agents', () => {
  it('gives a function agent its prompt template and LLM from the store JSON', async () => {
    const run = ids('resources');
    let seen: { prompt: string; model: string; resourcesId: string | null } | undefined;
    const agent = rollout(async (task: { guests: number }, resources: AgentResources) => {
      seen = { prompt: resources.prompt.format(task), model: resources.llm.model, resourcesId: resources.resourcesId };
    });
    await agent.run(
      { guests: 3 },
      {
        ...run,
        resourcesId: 'rs-1',
        resources: {
          prompt_template: { resource_type: 'prompt_template', template: 'Book for {guests} people', engine: 'f-string' },
          main_llm: { resource_type: 'llm', endpoint: 'http://127.0.0.1:9/v1', model: 'sim-1', sampling_parameters: { temperature: 0 } },
        },
      },
    );
    assert.deepEqual(seen, { prompt: 'Book for 3 people', model: 'sim-1', resourcesId: 'rs-1' });
  });

  it('takes the form of DESIGN.md, rollout(async (task, prompt: PromptTemplate) => …), the resources standing for their prompt', async () => {
    const run = ids('prompt-form');
    let seen: string[] = [];
    const agent = rollout(async (task: { guests: number }, prompt: PromptTemplate) => {
      seen = [prompt.format(task), prompt.template, prompt.engine, prompt.withTemplate('{guests}!').format(task)];
      return 1;
    });
    await agent.run(
      { guests: 3 },
      { ...run, resources: { prompt_template: { resource_type: 'prompt_template', template: 'Book for {guests} people', engine: 'f-string' } } },
    );
    assert.deepEqual(seen, ['Book for 3 people', 'Book for {guests} people', 'f-string', '3!']);
    const none = rollout(async (_task: unknown, prompt: PromptTemplate) => prompt.format());
    await assert.rejects(none.run({}, { ...ids('no-prompt'), resources: {} }), /hold no prompt template/);
  });

  it('LitAgent dispatches by mode and records the mode on the rollout span', async () => {
    const calls: string[] = [];
    class ModeAgent extends LitAgent<string> {
      override rollout(task: string, _resources: AgentResources, context: RolloutContext) {
        calls.push(`rollout:${task}:${context.mode}`);
        return 0;
      }
      override trainingRollout(task: string) {
        calls.push(`train:${task}`);
        return 1;
      }
      override validationRollout(task: string, resources: AgentResources) {
        calls.push(`val:${task}:${resources.prompt.template}`);
        return 0.5;
      }
    }
    const agent = new ModeAgent();
    const train = ids('mode');
    const val = ids('mode');
    assert.equal((await agent.run('t1', { ...train, mode: 'train' })).reward, 1);
    assert.equal((await agent.run('t2', { ...val, mode: 'val', resources: { p: new PromptTemplate('hello') } })).reward, 0.5);
    assert.equal((await agent.run('t3', ids('mode'))).reward, 0);
    assert.deepEqual(calls, ['train:t1', 'val:t2:hello', 'rollout:t3:null']);
    const [root] = await spansOf(train.rolloutId);
    assert.equal(attributesOf(root)['agentlightning.rollout.mode'], 'train');
  });

  it('a LitAgent without rollout() fails the attempt with a clear error', async () => {
    await assert.rejects(new LitAgent().run('x', ids('empty')), /does not implement rollout/);
  });
});
