// Small files for the CLI tests, written into a fresh temp folder: a news-like CSV in the AG News
// layout (class index 1..4, "title", "description", every field quoted, no header) whose classes
// are told apart by topic words, and a text for a character language model.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOPICS = [
  ['minister', 'election', 'embassy', 'treaty', 'parliament', 'border'],
  ['match', 'goal', 'season', 'coach', 'league', 'striker'],
  ['shares', 'profit', 'market', 'merger', 'investors', 'earnings'],
  ['software', 'chip', 'internet', 'researchers', 'linux', 'satellite'],
];
const FILLER = ['the', 'a', 'on', 'in', 'after', 'said', 'new', 'week', 'report', 'today', 'officials', 'with'];

export interface NewsRow {
  label: number;
  title: string;
  description: string;
}

/** n rows with labels 1..4, from a seeded generator. */
export function newsRows(n: number, seed: number): NewsRow[] {
  let s = seed >>> 0;
  const random = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
  const words = (topic: string[], count: number, topical: number): string[] => {
    const out = Array.from({ length: count }, () => FILLER[random(FILLER.length)]!);
    for (let i = 0; i < topical; i++) out[random(count)] = topic[random(topic.length)]!;
    return out;
  };
  return Array.from({ length: n }, (_, i) => {
    const label = 1 + (i % 4);
    const topic = TOPICS[label - 1]!;
    const title = words(topic, 4, 1).join(' ');
    // A comma and doubled quotes inside quoted fields, as in the real file.
    const description = `${words(topic, 6 + random(5), 2).join(' ')}, "${words(topic, 2, 0).join(' ')}" said`;
    return { label, title, description };
  });
}

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export function newsCsv(rows: readonly NewsRow[]): string {
  return rows.map((r) => [String(r.label), r.title, r.description].map(quote).join(',')).join('\n') + '\n';
}

/** A fresh temp folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rnnkit-cli-'));
}

export function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A short text with repeated phrases, for a character language model. */
export const LM_TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);
