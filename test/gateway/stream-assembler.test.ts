import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamAssembler } from '../../src/gateway/index.ts';

const event = (content: string) => `data: ${JSON.stringify({ id: 'chatcmpl-1', model: 'm', choices: [{ index: 0, delta: { content } }] })}`;

describe('LLM gateway: the stream assembler', () => {
  it('rebuilds the answer however the bytes are cut: CRLF lines, characters split across chunks', () => {
    const bytes = Buffer.from(`${[event('héllo '), event('wörld 👋'), 'data: [DONE]'].join('\r\n\r\n')}\r\n\r\n`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const assembler = new StreamAssembler();
      assembler.push(bytes.subarray(0, cut));
      assembler.push(bytes.subarray(cut));
      assembler.end();
      assert.equal(assembler.choices()[0].content, 'héllo wörld 👋', `cut at byte ${cut}`);
      assert.equal(assembler.done, true);
      assert.equal(assembler.responseId, 'chatcmpl-1');
    }
  });

  it('reads `data:` without its space, data over several lines, and an event left without its blank line', () => {
    const text = 'data:{"choices":[{"index":0,\ndata: "delta":{"content":"a"}}]}\n\n: a comment\nevent: x\ndata: {"choices":[{"index":0,"delta":{"content":"b"}}]}';
    const assembler = new StreamAssembler();
    for (const byte of Buffer.from(text)) assembler.push(Uint8Array.of(byte));
    assembler.end();
    assert.equal(assembler.choices()[0].content, 'ab');
  });
});
