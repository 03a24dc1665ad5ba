// Classification files: the RFC 4180 parser's edge cases (quotes, doubled quotes, commas and line
// breaks inside quotes, CRLF, empty fields, chunks split anywhere), the AG News layout, JSONL, and
// every bad input with file:line in its message.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';

const { parseCsv, CsvParser, readClassificationCsv, readClassificationJsonl, WordTokenizer } = rk.data;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-cls-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function file(text: string, ext = 'csv'): Promise<string> {
  const path = join(dir, `f${counter++}.${ext}`);
  await writeFile(path, text);
  return path;
}

/** The rejection of a promise (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const fields = (text: string): string[][] => parseCsv(text).map((r) => r.fields);

describe('CSV parser (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(fields('a,"b,c","d ""q"" e"\n')).toEqual([['a', 'b,c', 'd "q" e']]);
    const records = parseCsv('"x\ny",z\nnext,row\n');
    expect(records).toEqual([
      { fields: ['x\ny', 'z'], line: 1 },
      { fields: ['next', 'row'], line: 3 },
    ]);
    expect(fields('""\n""""\n')).toEqual([[''], ['"']]);
  });

  it('handles CRLF, empty fields, blank lines and a missing final line break', () => {
    expect(fields('a,b\r\nc,d\r\n')).toEqual([['a', 'b'], ['c', 'd']]);
    expect(fields('"multi\r\nline",x\r\n')).toEqual([['multi\nline', 'x']]);
    expect(fields(',,\na,,b\n,"",\n')).toEqual([['', '', ''], ['a', '', 'b'], ['', '', '']]);
    expect(parseCsv('a,b\n\n\nc,d')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['c', 'd'], line: 4 },
    ]);
    expect(fields('a,\n')).toEqual([['a', '']]);
    expect(fields('')).toEqual([]);
    expect(fields(' spaced , x ')).toEqual([[' spaced ', ' x ']]);
  });

  it('gives the same records however the text is cut into chunks', () => {
    const text = 'h1,h2,h3\n"a, ""b""\nc",d,\n,,"e"\n"long ""quoted"" field\n\nwith blank line",x,y\nlast,row,here';
    const whole = parseCsv(text);
    for (const size of [1, 2, 3, 5, 7]) {
      const parser = new CsvParser('test: chunks');
      const out: rk.data.CsvRecord[] = [];
      for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
      out.push(...parser.end());
      expect(out).toEqual(whole);
    }
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4, 5, 8]);
  });

  it('rejects malformed quoting with the line', () => {
    expect(() => parseCsv('ok,row\nab"c,d\n', 'p: f.csv')).toThrow(/^p: f.csv:2: a quote inside an unquoted field/);
    expect(() => parseCsv('"ab"c,d\n', 'p: f.csv')).toThrow(/^p: f.csv:1: unexpected "c" after a closing quote/);
    expect(() => parseCsv('a\n"open\n\nnever closed\n', 'p: f.csv')).toThrow(/^p: f.csv:2: unterminated quoted field/);
    expect(() => parseCsv('x"', 'p: f.csv')).toThrow(rk.ArgumentError);
  });
});

// The AG News layout: no header; "class index" (1..4), "title", "description"; every field quoted.
const AG_NEWS = [
  '"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers, Wall Street\'s dwindling band of ultra-cynics, are seeing green again."',
  '"4","Title, with a comma","Says ""hello""\nacross two lines"',
  '"1","World",""',
  '"2","Sports","Goal!"',
];

describe('readClassificationCsv', () => {
  it('reads the AG News layout with labelOffset 1 (LF and CRLF files alike)', async () => {
    for (const eol of ['\n', '\r\n']) {
      const path = await file(AG_NEWS.join(eol) + eol);
      const data = await readClassificationCsv(path, { labelColumn: 0, textColumns: [1, 2], labelOffset: 1, numClasses: 4 });
      expect(Array.from(data.labels)).toEqual([2, 3, 0, 1]);
      expect(data.texts).toEqual([
        "Wall St. Bears Claw Back Into the Black (Reuters) Reuters - Short-sellers, Wall Street's dwindling band of ultra-cynics, are seeing green again.",
        'Title, with a comma Says "hello"\nacross two lines',
        'World ',
        'Sports Goal!',
      ]);
      expect(Array.from(data.lines)).toEqual([1, 2, 4, 5]);
      expect(data.numClasses).toBe(4);
      expect(data.size).toBe(4);
      expect(Array.from(data.classCounts())).toEqual([1, 1, 1, 1]);
    }
  });

  it('encodes with a tokenizer into examples SequenceDataset batches', async () => {
    const path = await file(AG_NEWS.join('\n'));
    const plain = await readClassificationCsv(path, { labelColumn: 0, textColumns: [1, 2], labelOffset: 1 });
    const tokenizer = WordTokenizer.fromCorpus(plain.texts, { maxTokens: 20 });
    const data = await readClassificationCsv(pathToFileURL(path), { labelColumn: 0, textColumns: [1, 2], labelOffset: 1, tokenizer });
    expect(data.examples.length).toBe(4);
    expect(data.examples[3]!.input).toEqual(tokenizer.encode('Sports Goal!'));
    expect(data.examples.map((e) => e.target)).toEqual([2, 3, 0, 1]);
    const ds = new rk.train.SequenceDataset(data.examples, { batchSize: 4, shuffle: false });
    const [batch] = [...ds.batches(0)];
    expect(Array.from(batch!.lengths)).toEqual(data.examples.map((e) => e.input.length));
    batch!.inputs.dispose();
    batch!.targets.dispose();
  });

  it('takes column names from a header', async () => {
    const path = await file('label,title,body\n0,"a, b",c\n2,d,e\n');
    const data = await readClassificationCsv(path, { header: true, labelColumn: 'label', textColumns: ['body', 'title'] });
    expect(data.texts).toEqual(['c a, b', 'e d']);
    expect(Array.from(data.labels)).toEqual([0, 2]);
    expect(Array.from(data.lines)).toEqual([2, 3]);
    expect(data.numClasses).toBe(3);
    const tsv = await file('1\thello, world\n0\tbye\n');
    const t = await readClassificationCsv(tsv, { separator: '\t', labelColumn: 0, textColumns: [1] });
    expect(t.texts).toEqual(['hello, world', 'bye']);
  });

  it('names file:line for malformed rows, unterminated quotes and bad labels', async () => {
    const opts = { labelColumn: 0, textColumns: [1, 2], labelOffset: 1, numClasses: 4 };
    const short = await file('"1","a","b"\n"2","c","d"\n"3","e"\n');
    let err = await rejection(readClassificationCsv(short, opts));
    expect(err).toBeInstanceOf(rk.ArgumentError);
    expect(err.message).toBe(`readClassificationCsv: ${short}:3: the row has 2 fields, expected 3 (as on line 1)`);

    const open = await file('"1","a","b"\n"2","c","d\n');
    err = await rejection(readClassificationCsv(open, opts));
    expect(err.message).toBe(`readClassificationCsv: ${open}:2: unterminated quoted field (no closing quote before the end of the file)`);
    // A missing closing quote swallows the next line break; the error then points back to it.
    const swallowed = await file('"1","a","b"\n"2","c","d\n"3","e","f"\n');
    err = await rejection(readClassificationCsv(swallowed, opts));
    expect(err.message).toMatch(new RegExp(`^readClassificationCsv: ${swallowed}:3: unexpected "3" after a closing quote .*opened on line 2`));

    const stray = await file('"1","a","b"\n"2","c" ,"d"\n');
    err = await rejection(readClassificationCsv(stray, opts));
    expect(err.message).toMatch(new RegExp(`${stray}:2: unexpected " " after a closing quote`));

    const notInt = await file('"1","a","b"\n"two","c","d"\n');
    err = await rejection(readClassificationCsv(notInt, opts));
    expect(err).toBeInstanceOf(rk.ArgumentError);
    expect(err.message).toBe(`readClassificationCsv: ${notInt}:2: label 'two' is not an integer`);

    const frac = await file('"1.5","a","b"\n');
    expect((await rejection(readClassificationCsv(frac, opts))).message).toMatch(/:1: label '1.5' is not an integer/);

    // After a multi-line quoted field, lines still count physical lines.
    const high = await file('"1","a","b\nc\nd"\n"5","e","f"\n');
    err = await rejection(readClassificationCsv(high, opts));
    expect(err).toBeInstanceOf(rk.IndexError);
    expect(err.message).toBe(`readClassificationCsv: ${high}:4: label 5 is out of range: labels must be 1..4 (labelOffset 1, numClasses 4)`);

    const zero = await file('"0","a","b"\n');
    err = await rejection(readClassificationCsv(zero, opts));
    expect(err).toBeInstanceOf(rk.IndexError);
    expect(err.message).toMatch(/:1: label 0 is out of range: labels must be 1..4/);

    const negative = await file('-1,a\n');
    err = await rejection(readClassificationCsv(negative, { labelColumn: 0, textColumns: [1] }));
    expect(err.message).toMatch(/:1: label -1 is out of range: labels must be >= 0$/);
  });

  it('rejects missing and empty files, bad columns and options', async () => {
    const missing = join(dir, 'nope.csv');
    const opts = { labelColumn: 0, textColumns: [1] };
    expect((await rejection(readClassificationCsv(missing, opts))).message).toBe(`readClassificationCsv: ${missing}: no such file`);
    expect((await rejection(readClassificationCsv(dir, opts))).message).toMatch(/is a folder, not a file/);
    const empty = await file('');
    expect((await rejection(readClassificationCsv(empty, opts))).message).toBe(`readClassificationCsv: ${empty}: no rows (the file is empty)`);
    const headerOnly = await file('label,text\n');
    expect((await rejection(readClassificationCsv(headerOnly, { ...opts, header: true }))).message).toMatch(/no rows after the header/);
    const ok = await file('1,a\n');
    expect((await rejection(readClassificationCsv(ok, { labelColumn: 2, textColumns: [1] }))).message).toMatch(
      /options.labelColumn 2 is out of range: the first row \(line 1\) has 2 columns/,
    );
    expect((await rejection(readClassificationCsv(ok, { labelColumn: 'label', textColumns: [1] }))).message).toMatch(/is a column name, but options.header is false/);
    expect((await rejection(readClassificationCsv(headerOnly, { header: true, labelColumn: 'class', textColumns: ['text'] }))).message).toMatch(
      /'class' is not a column of the header \(columns: label, text\)/,
    );
    await expect(readClassificationCsv(ok, { labelColumn: 0, textColumns: [] })).rejects.toThrow(/textColumns must be a non-empty array/);
    await expect(readClassificationCsv(ok, { ...opts, numClasses: 0 })).rejects.toThrow(/numClasses must be >= 1/);
    await expect(readClassificationCsv(ok, { ...opts, separator: '"' })).rejects.toThrow(/separator must be one character/);
    await expect(readClassificationCsv(ok, { ...opts, labelOfset: 1 } as rk.data.ClassificationCsvOptions)).rejects.toThrow(/unknown option 'labelOfset'/);
  });

  it('names file:line for a text with no tokens, unless skipEmpty', async () => {
    const path = await file('1,hello\n0,"!!!"\n1,world\n');
    const data = await readClassificationCsv(path, { labelColumn: 0, textColumns: [1] });
    const tokenizer = WordTokenizer.fromCorpus(data.texts);
    expect(() => data.encode(tokenizer)).toThrow(`TextClassificationData.encode: ${path}:2: the text has no tokens`);
    expect(data.encode(tokenizer, { skipEmpty: true }).map((e) => e.target)).toEqual([1, 1]);
  });
});

describe('readClassificationJsonl', () => {
  it('reads {"text","label"} lines, skipping blank ones, CRLF or LF', async () => {
    const path = await file('{"text": "good film", "label": 1}\r\n\r\n{"text": "bad \\"film\\"", "label": 0, "id": 7}\r\n{"text":"ok","label":2}', 'jsonl');
    const data = await readClassificationJsonl(path);
    expect(data.texts).toEqual(['good film', 'bad "film"', 'ok']);
    expect(Array.from(data.labels)).toEqual([1, 0, 2]);
    expect(Array.from(data.lines)).toEqual([1, 3, 4]);
    const custom = await file('{"review": "x y", "stars": 5}\n{"review": "z", "stars": 1}\n', 'jsonl');
    const tokenizer = rk.data.CharTokenizer.fromCorpus('xyz');
    const c = await readClassificationJsonl(custom, { textField: 'review', labelField: 'stars', labelOffset: 1, numClasses: 5, tokenizer });
    expect(c.examples.map((e) => [Array.from(e.input), e.target])).toEqual([[[2, 1, 3], 4], [[4], 0]]);
  });

  it('names file:line for bad JSON, fields and labels', async () => {
    const cases: [string, RegExp, typeof rk.RnnkitError][] = [
      ['{"text": "a", "label": 0}\n{"text": "b", "label": 1\n', /:2: invalid JSON \(/, rk.ArgumentError],
      ['{"text": "a", "label": 0}\n\n[1, 2]\n', /:3: expected an object like \{"text": "\.\.\.", "label": 0\}, got an array of length 2/, rk.ArgumentError],
      ['{"label": 0}\n', /:1: the "text" field is missing/, rk.ArgumentError],
      ['{"text": "a"}\n', /:1: the "label" field is missing/, rk.ArgumentError],
      ['{"text": 5, "label": 0}\n', /:1: "text" must be a string, got 5/, rk.ArgumentError],
      ['{"text": "a", "label": 1.5}\n', /:1: label 1.5 is not an integer/, rk.ArgumentError],
      ['{"text": "a", "label": "3"}\n', /:1: label '3' is not an integer/, rk.ArgumentError],
      ['{"text": "a", "label": 0}\n{"text": "b", "label": 3}\n', /:2: label 3 is out of range: labels must be 0..2 \(labelOffset 0, numClasses 3\)/, rk.IndexError],
    ];
    for (const [text, message, kind] of cases) {
      const path = await file(text, 'jsonl');
      const err = await rejection(readClassificationJsonl(path, { numClasses: 3 }));
      expect(err).toBeInstanceOf(kind);
      expect(err.message.startsWith(`readClassificationJsonl: ${path}:`)).toBe(true);
      expect(err.message).toMatch(message);
    }
    const empty = await file('\n\n', 'jsonl');
    await expect(readClassificationJsonl(empty)).rejects.toThrow(/no rows/);
    await expect(readClassificationJsonl(join(dir, 'missing.jsonl'))).rejects.toThrow(/missing.jsonl: no such file/);
    await expect(readClassificationJsonl(empty, { textField: '' })).rejects.toThrow(/options.textField must be a non-empty string/);
  });
});

describe('readMultiLabelCsv and readMultiLabelJsonl', () => {
  const { readMultiLabelCsv, readMultiLabelJsonl } = rk.data;

  it('reads label sets separated by a character; the label list is sorted, or given', async () => {
    const path = await file('"sport|news",Match report\r\n,No label at all\r\n" news | tech |news",Chips\r\n');
    const data = await readMultiLabelCsv(path, { labelColumn: 0, textColumns: [1] });
    expect(data.labels).toEqual(['news', 'sport', 'tech']);
    expect(data.texts).toEqual(['Match report', 'No label at all', 'Chips']);
    expect(data.labelSets.map((s) => Array.from(s))).toEqual([[0, 1], [], [0, 2]]);
    expect(Array.from(data.lines)).toEqual([1, 2, 3]);
    expect(Array.from(data.labelCounts())).toEqual([2, 1, 1]);
    expect(data.numLabels).toBe(3);
    // A given list fixes the numbering (a validation file in the training's classes).
    const given = await readMultiLabelCsv(path, { labelColumn: 0, textColumns: [1], labels: ['tech', 'sport', 'news', 'arts'] });
    expect(given.labelSets.map((s) => Array.from(s))).toEqual([[1, 2], [], [0, 2]]);
    const tokenizer = WordTokenizer.fromCorpus(given.texts);
    const encoded = await readMultiLabelCsv(path, { labelColumn: 0, textColumns: [1], labels: given.labels, tokenizer, labelSeparator: '|' });
    expect(encoded.examples.map((e) => Array.from(e.target))).toEqual([[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0]]);
    expect(Array.from(encoded.examples[0]!.input)).toEqual(Array.from(tokenizer.encode('Match report')));
    // Another separator, and a header naming the columns.
    const semi = await file('text;tags\nhello;a,b\nbye;b\n');
    const byName = await readMultiLabelCsv(semi, { header: true, labelColumn: 'tags', textColumns: ['text'], separator: ';', labelSeparator: ',' });
    expect(byName.labels).toEqual(['a', 'b']);
    expect(byName.labelSets.map((s) => Array.from(s))).toEqual([[0, 1], [1]]);
  });

  it('reads JSONL labels as arrays or joined strings', async () => {
    const path = await file('{"text":"one","labels":["x","y"]}\n\n{"text":"two","labels":"y"}\n{"text":"three","labels":[]}\n', 'jsonl');
    const data = await readMultiLabelJsonl(path);
    expect(data.labels).toEqual(['x', 'y']);
    expect(data.labelSets.map((s) => Array.from(s))).toEqual([[0, 1], [1], []]);
    expect(Array.from(data.lines)).toEqual([1, 3, 4]);
    const custom = await file('{"body":"a","tags":"p+q"}\n', 'jsonl');
    expect((await readMultiLabelJsonl(custom, { textField: 'body', labelField: 'tags', labelSeparator: '+' })).labels).toEqual(['p', 'q']);
  });

  it('names file:line for unknown labels and bad label fields, and rejects bad options', async () => {
    const csv = await file('a|b,first\nc,second\n');
    const unknown = await rejection(readMultiLabelCsv(csv, { labelColumn: 0, textColumns: [1], labels: ['a', 'b'] }));
    expect(unknown).toBeInstanceOf(rk.ArgumentError);
    expect(unknown.message).toMatch(/^readMultiLabelCsv: .*f\d+\.csv:2: label 'c' is not one of the 2 labels \(a, b\)$/);
    const jsonl = await file('{"text":"a","labels":["x"]}\n{"text":"b","labels":3}\n', 'jsonl');
    expect((await rejection(readMultiLabelJsonl(jsonl))).message).toMatch(/\.jsonl:2: labels must be a string like "a\|b" or an array of label names, got 3/);
    const noLabels = await file(',x\n,y\n');
    expect((await rejection(readMultiLabelCsv(noLabels, { labelColumn: 0, textColumns: [1] }))).message).toMatch(/no row has a label/);
    const bad = (options: unknown) => rejection(readMultiLabelCsv(csv, { labelColumn: 0, textColumns: [1], ...(options as object) }));
    expect((await bad({ labelSeparator: '||' })).message).toMatch(/readMultiLabelCsv: options.labelSeparator must be one character other than a line break, got '\|\|'/);
    expect((await bad({ labels: [] })).message).toMatch(/options.labels must be a non-empty array of label names/);
    expect((await bad({ labels: ['a', 'a'] })).message).toMatch(/options.labels repeats 'a'/);
    expect((await bad({ labels: ['a', 'b|c'] })).message).toMatch(/options.labels\[1\] must be a non-empty name without surrounding spaces or '\|'/);
    expect((await bad({ numClasses: 3 })).message).toMatch(/readMultiLabelCsv: unknown option 'numClasses'/);
    expect((await rejection(readMultiLabelCsv(csv, { labelColumn: 5, textColumns: [1] }))).message).toMatch(/options.labelColumn 5 is out of range/);
    const empty = await file('');
    expect((await rejection(readMultiLabelJsonl(empty))).message).toMatch(/no rows \(the file is empty\)/);
  });
});
