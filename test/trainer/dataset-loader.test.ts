import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError, loadDataset, parseCsv, splitDataset } from '../../src/trainer/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Dataset files as users write them: JSON Lines, JSON arrays and CSV, and what a bad one says. */

function file(name: string, text: string): string {
  const path = join(tempDir('agl-dataset-'), name);
  writeFileSync(path, text);
  return path;
}

function rejects(path: string, line: number | null, message: RegExp): void {
  assert.throws(
    () => loadDataset(path),
    (error: unknown) => {
      assert.ok(error instanceof DatasetError, String(error));
      assert.equal(error.path, path);
      assert.equal(error.line, line);
      assert.ok(error.message.startsWith(`${path}${line === null ? '' : `:${line}`}: `), error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('loadDataset', () => {
  it('reads JSON Lines (blank lines and CRLF too), a JSON array, and sniffs the format without an extension', () => {
    assert.deepEqual(loadDataset(file('tasks.jsonl', '{"q": "a"}\r\n\n{"q": "b"}\n')), [{ q: 'a' }, { q: 'b' }]);
    assert.deepEqual(loadDataset(file('tasks.json', '[\n  {"q": "a"},\n  {"q": "b"}\n]\n')), [{ q: 'a' }, { q: 'b' }]);
    assert.deepEqual(loadDataset(file('tasks.json', '{"q": "a"}\n{"q": "b"}\n')), [{ q: 'a' }, { q: 'b' }], 'JSON Lines named .json');
    assert.deepEqual(loadDataset(file('tasks', '[1, 2]')), [1, 2]);
    assert.deepEqual(loadDataset(file('tasks.txt', '{"q": 1}')), [{ q: 1 }]);
  });

  it('reports a bad JSON Lines line with its number and the parser message', () => {
    rejects(file('tasks.jsonl', '{"q": "a"}\n\n{"q": "b",}\n{"q": "c"}\n'), 3, /JSON/);
    rejects(file('tasks.ndjson', '{"q": 1}\n{"q": \n'), 2, /JSON/);
  });

  it('reports the line of a bad element of a JSON array, with or without a position in the parser message', () => {
    rejects(file('tasks.json', '[\n  {"q": "a"},\n  {"q": "b"},\n  {"q": x},\n  {"q": "d"}\n]\n'), 4, /Unexpected token/);
    rejects(file('tasks.json', '[\n  {"q": "a"}\n  {"q": "b"}\n]\n'), 3, /JSON/);
    rejects(file('tasks.json', '[\n  {"q": "a",\n   "r": }\n]'), 3, /JSON/);
    rejects(file('tasks.json', '{"q": "a"'), 1, /JSON/);
    rejects(file('tasks.json', '[\n  {"q": "a"}\n'), 3, /JSON/); // the array never closed: the end of the file
    rejects(file('obj.json', '[]'), null, /no tasks/);
  });

  it('reads CSV: a header, quoted fields with commas, "" and line breaks, CRLF, a BOM', () => {
    const csv = '\ufeffid,question,expected\r\n1,"Hello, world","say ""hi"""\r\n2,"two\nlines",plain\n\n3,,last\n';
    assert.deepEqual(loadDataset(file('tasks.csv', csv)), [
      { id: '1', question: 'Hello, world', expected: 'say "hi"' },
      { id: '2', question: 'two\nlines', expected: 'plain' },
      { id: '3', question: '', expected: 'last' },
    ]);
  });

  it('reports bad CSV records with their line: field counts, stray quotes, unclosed quotes, a bad header', () => {
    rejects(file('a.csv', 'id,q\n1,"multi\nline"\n2,x,extra\n'), 4, /expected 2 fields \(id, q\), got 3/);
    rejects(file('b.csv', 'id,q\n1,say "hi"\n'), 2, /a quote inside the unquoted field 2/);
    rejects(file('c.csv', 'id,q\n1,"ok"x\n'), 2, /unexpected `x` after the closing quote of field 2/);
    rejects(file('d.csv', 'id,q\n1,ok\n2,"never\nclosed\n'), 3, /the quoted field opened on line 3 is never closed/);
    rejects(file('e.csv', 'id,id\n1,2\n'), 1, /the header names `id` twice/);
    rejects(file('f.csv', 'id\n'), null, /no tasks/);
  });

  it('a missing file is a DatasetError naming it', () => {
    const path = join(tempDir('agl-dataset-'), 'missing.jsonl');
    rejects(path, null, /ENOENT/);
  });
});

describe('parseCsv', () => {
  it('keeps the line each record starts on', () => {
    assert.deepEqual(parseCsv('a,b\n"x\ny",z\nlast,1'), [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x\ny', 'z'], line: 2 },
      { fields: ['last', '1'], line: 4 },
    ]);
    assert.deepEqual(parseCsv('a,\n'), [{ fields: ['a', ''], line: 1 }]);
  });
});

describe('splitDataset', () => {
  it('keeps the last round(n × fraction) tasks for validation, at least one on each side', () => {
    const tasks = Array.from({ length: 57 }, (_, index) => index);
    const { train, val } = splitDataset(tasks, 0.5);
    assert.equal(train.length, 28);
    assert.deepEqual(val, tasks.slice(28));
    assert.deepEqual(splitDataset([1, 2], 0.01), { train: [1], val: [2] });
    assert.deepEqual(splitDataset([1, 2], 0.99), { train: [1], val: [2] });
    assert.throws(() => splitDataset([1, 2], 1), /valFraction/);
    assert.throws(() => splitDataset([1], 0.5), /at least 2 tasks/);
  });
});
