// `rnnkit generate`: continues a prompt with a language-model checkpoint, printing each token as
// it is drawn.

import { generateTokens } from '../../text/generate.js';
import { requireFlag } from '../argv.js';
import { loadCheckpoint } from '../checkpoint.js';
import { DEVICE_FLAG, useDevice } from '../device.js';
import type { Command } from '../main.js';

const FLAGS = {
  checkpoint: { type: 'string', value: 'DIR', description: "language-model checkpoint from 'rnnkit train --task lm'" },
  prompt: { type: 'string', value: 'TEXT', description: 'the text to continue' },
  'max-tokens': { type: 'integer', min: 0, default: 200, description: 'tokens to generate' },
  temperature: { type: 'number', min: 0, default: 0.8, description: 'sampling temperature; 0 always takes the most likely token' },
  'top-k': { type: 'integer', min: 0, default: 0, description: 'sample among the k most likely tokens only (0: all)' },
  'top-p': { type: 'number', above: 0, max: 1, default: 1, description: 'nucleus sampling: the most likely tokens covering this probability' },
  seed: { type: 'integer', default: 0, description: 'sampling seed (the same seed gives the same text)' },
  device: DEVICE_FLAG,
} as const;

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit generate --checkpoint DIR --prompt TEXT [flags]',
  description: [
    'Continues a prompt with a language model trained by rnnkit train --task lm. The prompt runs',
    'through the model once; then each token takes one recurrent step from the carried state.',
    '',
    'Example:',
    '  rnnkit generate --checkpoint book-lm --prompt "The " --max-tokens 300 --temperature 0.7',
  ].join('\n'),
  flags: FLAGS,
  async run(flags) {
    useDevice(flags.device);
    const { model, tokenizer } = await loadCheckpoint(requireFlag(flags.checkpoint, 'checkpoint'), ['lm'], 'generate');
    const prompt = requireFlag(flags.prompt, 'prompt');
    const tokens = generateTokens(model, tokenizer, {
      prompt,
      maxTokens: flags['max-tokens'],
      temperature: flags.temperature,
      topK: flags['top-k'],
      topP: flags['top-p'],
      seed: flags.seed,
    });
    // The prompt is printed once the options have passed their checks (at the first token).
    let started = false;
    for await (const token of tokens) {
      if (!started) process.stdout.write(prompt);
      started = true;
      process.stdout.write(token.text);
    }
    process.stdout.write(`${started ? '' : prompt}\n`);
  },
};
