/**
 * The room selector as an agent module: what `agl train --agent` and `agl runner --agent` load.
 * The model is the one `OPENAI_BASE_URL` / `OPENAI_API_KEY` choose (`agl train` points them at the
 * simulated model when neither is set); the agent's model is `AGENT_MODEL`, else 'gpt-4.1-nano'.
 *
 *   npx agl runner --agent examples/room-selector/agent.ts --server http://127.0.0.1:4318
 */
import OpenAI from 'openai';
import { createRoomSelectorAgent } from './room-agent.ts';

export default createRoomSelectorAgent({ openai: new OpenAI(), model: process.env.AGENT_MODEL || undefined });
