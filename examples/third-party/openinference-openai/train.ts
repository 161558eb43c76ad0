/**
 * The room selector on the OpenAI SDK, traced by OpenInference's instrumentation; APO trains its prompt.
 *
 *   node --import tsx examples/third-party/openinference-openai/train.ts [--db PATH] [--rounds N]
 */
import { runThirdPartyCli } from '../run-cli.ts';
import { OPENINFERENCE_OPENAI_AGENT } from './agent.ts';

await runThirdPartyCli(OPENINFERENCE_OPENAI_AGENT);
