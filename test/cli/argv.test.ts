// The CLI's flag parser: every form of flag, typed values, ranges, and each usage mistake.

import { describe, expect, it } from 'vitest';
import { parseArgs, renderHelp, requireFlag, UsageError } from '../../lib/cli/argv.js';

const SPECS = {
  data: { type: 'string', value: 'FILE', description: 'input file' },
  model: { type: 'string', choices: ['lstm', 'gru'], default: 'lstm', description: 'cell' },
  epochs: { type: 'integer', min: 1, default: 3, description: 'passes' },
  offset: { type: 'integer', description: 'label offset' },
  lr: { type: 'number', above: 0, description: 'learning rate' },
  'top-p': { type: 'number', above: 0, max: 1, default: 1, description: 'nucleus' },
  bidirectional: { type: 'boolean', description: 'both ways' },
} as const;

const usage = (argv: string[]): string => {
  try {
    parseArgs(argv, SPECS);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
};

describe('cli parseArgs', () => {
  it('reads --name value, --name=value, booleans and --no-, and fills defaults', () => {
    const { flags, help, verbose } = parseArgs(['--data', 'a.csv', '--epochs=7', '--lr', '1e-3', '--bidirectional', '--offset', '-1'], SPECS);
    expect(flags).toEqual({ data: 'a.csv', model: 'lstm', epochs: 7, offset: -1, lr: 0.001, 'top-p': 1, bidirectional: true });
    expect([help, verbose]).toEqual([false, false]);
    expect(parseArgs(['--no-bidirectional'], SPECS).flags.bidirectional).toBe(false);
    expect(parseArgs(['--bidirectional=false', '-h', '--verbose'], SPECS)).toMatchObject({ flags: { bidirectional: false }, help: true, verbose: true });
    // A boolean takes true/false after a space too; any other next argument is left alone.
    expect(parseArgs(['--bidirectional', 'false', '--epochs', '3'], SPECS).flags).toMatchObject({ bidirectional: false, epochs: 3 });
    expect(parseArgs(['--bidirectional', 'true'], SPECS).flags.bidirectional).toBe(true);
    expect(parseArgs(['--bidirectional', '--epochs', '4'], SPECS).flags).toMatchObject({ bidirectional: true, epochs: 4 });
    expect(parseArgs([], SPECS).flags).toEqual({ data: undefined, model: 'lstm', epochs: 3, offset: undefined, lr: undefined, 'top-p': 1, bidirectional: undefined });
  });

  it('names each mistake', () => {
    expect(usage(['--epoch', '3'])).toBe('unknown flag --epoch');
    expect(usage(['-x'])).toBe('unknown flag -x');
    expect(usage(['train.csv'])).toMatch(/unexpected argument 'train.csv'/);
    expect(usage(['--data'])).toBe('--data needs a value');
    expect(usage(['--data', '--epochs', '2'])).toBe('--data needs a value');
    expect(usage(['--epochs', 'two'])).toBe("--epochs must be an integer, got 'two'");
    expect(usage(['--epochs', '2.5'])).toBe("--epochs must be an integer, got '2.5'");
    expect(usage(['--epochs', '0'])).toBe('--epochs must be >= 1, got 0');
    expect(usage(['--lr', '0'])).toBe('--lr must be > 0, got 0');
    expect(usage(['--lr', 'fast'])).toBe("--lr must be a number, got 'fast'");
    expect(usage(['--top-p', '1.5'])).toBe('--top-p must be <= 1, got 1.5');
    expect(usage(['--model', 'rnn'])).toBe("--model must be one of lstm, gru, got 'rnn'");
    expect(usage(['--bidirectional=yes'])).toBe("--bidirectional takes no value or true/false, got 'yes'");
    expect(usage(['--no-data'])).toBe('unknown flag --no-data');
    expect(usage(['--epochs', '2', '--epochs', '3'])).toBe('--epochs is given twice');
    expect(() => requireFlag(undefined, 'checkpoint')).toThrow(new UsageError('--checkpoint is required'));
    expect(requireFlag('x', 'checkpoint')).toBe('x');
  });

  it('renders help with every flag, its value name and default', () => {
    const help = renderHelp('rnnkit x [flags]', 'Does x.', SPECS);
    expect(help).toContain('Usage: rnnkit x [flags]\n\nDoes x.\n\nFlags:\n');
    expect(help).toMatch(/--data FILE +input file\n/);
    expect(help).toMatch(/--model lstm\|gru +cell \(default: lstm\)\n/);
    expect(help).toMatch(/--epochs N +passes \(default: 3\)\n/);
    expect(help).toMatch(/--bidirectional +both ways\n/);
    expect(help).toMatch(/-h, --help +show this help\n/);
    expect(help).toMatch(/--verbose +print the stack trace of an error\n/);
  });
});
