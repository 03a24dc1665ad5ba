// The `rnnkit` command: picks the command, parses its flags, runs it, and turns every failure
// into one line on stderr and an exit code: 0 ok, 1 failure, 2 usage. A command's module (and with
// it the native addon) loads only when that command runs, so `rnnkit --help` works without it.

import { parseArgs, renderHelp, UsageError, type FlagSpecs, type Flags } from './argv.js';
import { packageVersion } from './version.js';

/** One CLI command: its flags, help, and what it does. */
export interface Command<F extends FlagSpecs = FlagSpecs> {
  /** The synopsis after `Usage: `. */
  usage: string;
  description: string;
  flags: F;
  /** The flag a bare argument gives (`rnnkit plot DIR`), if any. */
  positional?: string;
  /**
   * Whether the command takes a command line of its own after `--` (`rnnkit launch ... -- node
   * train.mjs`): those words reach run() untouched, never parsed as rnnkit's flags.
   */
  trailing?: boolean;
  run(flags: Flags<F>, trailing: readonly string[]): Promise<void>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  train: { summary: 'train a classifier or language model and save a checkpoint (no flags: the built-in demo task)', load: () => import('./commands/train.js') },
  eval: { summary: 'evaluate a checkpoint on a labelled file (accuracy) or a text (perplexity)', load: () => import('./commands/eval.js') },
  predict: { summary: "classify lines of text (stdin or --input) with a classifier checkpoint", load: () => import('./commands/predict.js') },
  generate: { summary: 'continue a prompt with a language-model checkpoint', load: () => import('./commands/generate.js') },
  export: { summary: "write a checkpoint's model as an ONNX file (onnxruntime runs it)", load: () => import('./commands/export.js') },
  plot: { summary: "draw a run's training curves (curves.svg) from its history.jsonl", load: () => import('./commands/plot.js') },
  launch: { summary: 'start N processes of a training script for data-parallel training (as torchrun does) and supervise them', load: () => import('./commands/launch.js') },
  info: { summary: 'versions, backends and devices', load: () => import('./commands/info.js') },
  bench: { summary: 'a short training speed run of the demo model (tokens/s)', load: () => import('./commands/bench.js') },
};

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  const list = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return [
    'Usage: rnnkit <command> [flags]',
    '',
    'Train recurrent neural networks (LSTM, GRU) from the command line.',
    '',
    'Commands:',
    ...list,
    '',
    "Run 'rnnkit <command> --help' for a command's flags. Exit codes: 0 ok, 1 failure, 2 usage error.",
    '',
  ].join('\n');
}

/** The message of an error on one line: its class name (if rnnkit's) and message. */
function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const known = /Error$/.test(err.name) && err.name !== 'Error' ? `${err.name}: ` : '';
  return `${known}${err.message}`;
}

/** Runs the CLI with argv (without `node rnnkit`); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const split = args.indexOf('--');
  const rest = split < 0 ? args : args.slice(0, split);
  const verbose = rest.includes('--verbose');
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    process.stderr.write(`rnnkit: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see 'rnnkit --help')\n`);
    return 2;
  }
  const prefix = `rnnkit ${name}`;
  try {
    const { command } = await entry.load();
    // A command without a command line of its own still sees `--` and refuses it as usual.
    const parsed = parseArgs(command.trailing ? rest : args, command.flags, command.positional);
    if (parsed.help) {
      process.stdout.write(renderHelp(command.usage, command.description, command.flags));
      return 0;
    }
    await command.run(parsed.flags, command.trailing && split >= 0 ? args.slice(split + 1) : []);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${prefix}: ${err.message} (see 'rnnkit ${name} --help')\n`);
      return 2;
    }
    process.stderr.write(`${prefix}: ${oneLine(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
