// The CLI's argument parser: typed flags declared once per command (type, range, choices,
// default, help text), parsed from `--name value`, `--name=value`, `--flag` / `--no-flag`; the same
// declaration renders `--help`. Every mistake is a UsageError (exit code 2).

/** A mistake in the command line: unknown flag, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface FlagBase {
  description: string;
  /** The value's name in the help (FILE, N, ...). */
  value?: string;
}
export interface StringFlag extends FlagBase {
  type: 'string';
  choices?: readonly string[];
  default?: string;
}
export interface IntegerFlag extends FlagBase {
  type: 'integer';
  min?: number;
  default?: number;
}
export interface NumberFlag extends FlagBase {
  type: 'number';
  /** Values must be > above. */
  above?: number;
  min?: number;
  max?: number;
  default?: number;
}
export interface BooleanFlag extends FlagBase {
  type: 'boolean';
  default?: boolean;
}
export type FlagSpec = StringFlag | IntegerFlag | NumberFlag | BooleanFlag;
export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S extends BooleanFlag ? boolean : S extends StringFlag ? string : number;

/** Parsed flags by name: flags with a default always have a value, the others may be undefined. */
export type Flags<F extends FlagSpecs> = {
  [K in keyof F]: F[K] extends { default: unknown } ? ValueOf<F[K]> : ValueOf<F[K]> | undefined;
};

export interface Parsed<F extends FlagSpecs> {
  flags: Flags<F>;
  help: boolean;
  verbose: boolean;
}

/** Flags every command takes. */
export const COMMON_FLAGS = {
  help: { type: 'boolean', description: 'show this help' },
  verbose: { type: 'boolean', description: 'print the stack trace of an error' },
} as const satisfies FlagSpecs;

function convert(name: string, spec: FlagSpec, raw: string): string | number | boolean {
  const flag = `--${name}`;
  switch (spec.type) {
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new UsageError(`${flag} takes no value or true/false, got '${raw}'`);
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
      if (raw === '') throw new UsageError(`${flag} must not be empty`);
      return raw;
    case 'integer': {
      const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} must be an integer, got '${raw}'`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`${flag} must be >= ${spec.min}, got ${n}`);
      return n;
    }
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got '${raw}'`);
      if (spec.above !== undefined && !(n > spec.above)) throw new UsageError(`${flag} must be > ${spec.above}, got ${n}`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`${flag} must be >= ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new UsageError(`${flag} must be <= ${spec.max}, got ${n}`);
      return n;
    }
  }
}

/**
 * Parses argv (after the command name) against the command's flags and COMMON_FLAGS. `positional`
 * names the one flag a bare argument may give instead (`rnnkit plot DIR` = `--run DIR`).
 */
export function parseArgs<F extends FlagSpecs>(argv: readonly string[], specs: F, positional?: string): Parsed<F> {
  const all: FlagSpecs = { ...specs, ...COMMON_FLAGS };
  const values: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      values.help = true;
      continue;
    }
    if (positional !== undefined && !arg.startsWith('-')) {
      if (positional in values) throw new UsageError(`unexpected argument '${arg}' (--${positional} is already given)`);
      values[positional] = convert(positional, all[positional]!, arg);
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(arg.startsWith('-') ? `unknown flag ${arg}` : `unexpected argument '${arg}' (every input is given with a flag)`);
    }
    const eq = arg.indexOf('=');
    let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let raw: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    let spec = all[name];
    if (spec === undefined && name.startsWith('no-') && all[name.slice(3)]?.type === 'boolean' && raw === undefined) {
      name = name.slice(3);
      spec = all[name];
      raw = 'false';
    }
    if (spec === undefined) throw new UsageError(`unknown flag --${name}`);
    if (name in values) throw new UsageError(`--${name} is given twice`);
    if (raw === undefined) {
      const next = argv[i + 1];
      if (spec.type === 'boolean') {
        // `--flag true|false` with a space, as well as `--flag=false` and `--no-flag`.
        raw = next === 'true' || next === 'false' ? next : 'true';
        if (raw === next) i++;
      } else {
        // A value may start with '-' only as a negative number.
        if (next === undefined || (next.startsWith('-') && !/^-\d/.test(next))) throw new UsageError(`--${name} needs a value`);
        raw = next;
        i++;
      }
    }
    values[name] = convert(name, spec, raw);
  }
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) flags[name] = values[name] ?? spec.default;
  return { flags: flags as Flags<F>, help: values.help === true, verbose: values.verbose === true };
}

/** The help text: usage line, description, and one line per flag. */
export function renderHelp(usage: string, description: string, specs: FlagSpecs): string {
  const all: FlagSpecs = { ...specs, ...COMMON_FLAGS };
  const rows = Object.entries(all).map(([name, spec]) => {
    const value = spec.type === 'boolean' ? '' : ` ${spec.value ?? (spec.type === 'string' ? (spec.choices?.join('|') ?? 'TEXT') : 'N')}`;
    const left = `${name === 'help' ? '-h, ' : ''}--${name}${value}`;
    const def = spec.default !== undefined && spec.type !== 'boolean' ? ` (default: ${spec.default})` : '';
    return [left, spec.description + def] as const;
  });
  const width = Math.min(32, Math.max(...rows.map(([left]) => left.length)) + 2);
  const lines = rows.map(([left, text]) => (left.length + 2 > width ? `  ${left}\n  ${' '.repeat(width)}${text}` : `  ${left.padEnd(width)}${text}`));
  return `Usage: ${usage}\n\n${description}\n\nFlags:\n${lines.join('\n')}\n`;
}

/** A flag the command cannot run without. */
export function requireFlag<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}
