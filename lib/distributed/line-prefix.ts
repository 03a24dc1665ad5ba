// Cuts a child's output into lines and writes each with a prefix (`[rank 1] `), so the ranks'
// interleaved output stays readable; remembers the last non-empty line for error reports.

export class LinePrefixer {
  #partial = '';
  /** The last non-empty line seen (without its prefix). */
  last = '';

  constructor(
    readonly prefix: string,
    readonly write: (text: string) => void,
  ) {}

  push(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    if (lines.length > 0) this.#emit(lines);
  }

  /** Writes a last line that had no newline. */
  end(): void {
    if (this.#partial !== '') this.#emit([this.#partial]);
    this.#partial = '';
  }

  #emit(lines: string[]): void {
    // A line ending in \r\n keeps its text, not the \r.
    const clean = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    this.write(clean.map((l) => `${this.prefix}${l}\n`).join(''));
    const lastText = clean.findLast((l) => l.trim() !== '');
    if (lastText !== undefined) this.last = lastText;
  }
}
