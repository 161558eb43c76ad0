import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny OpenAI-compatible server standing in for the optimizer model: critiques are a fixed
 * text, edits are whatever `edit(template)` returns. It lets a test choose exactly which prompts
 * APO is offered (the simulated model serves the end-to-end test).
 */
export class FakeOptimizer {
  readonly baseURL: string;
  readonly requests: string[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
    this.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  static async start(edit: (template: string) => string): Promise<FakeOptimizer> {
    let fake: FakeOptimizer | undefined;
    const server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      const parsed = JSON.parse(body) as { model: string; messages: { content: string }[] };
      const content = parsed.messages.at(-1)?.content ?? '';
      fake?.requests.push(content);
      const template = /## Current prompt template\n([\s\S]*?)\n\n## (Critique|Experiments)/.exec(content)?.[1] ?? '';
      const answer = content.includes('## Critique') ? edit(template) : 'Missing rules (add these to the prompt):\n- none';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 0,
          model: parsed.model,
          choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeOptimizer(server);
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
