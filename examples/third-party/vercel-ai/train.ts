/**
 * The room selector on the Vercel AI SDK with `experimental_telemetry` on; APO trains its prompt.
 *
 *   node --import tsx examples/third-party/vercel-ai/train.ts [--db PATH] [--rounds N]
 */
import { runThirdPartyCli } from '../run-cli.ts';
import { VERCEL_AI_AGENT } from './agent.ts';

await runThirdPartyCli(VERCEL_AI_AGENT);
