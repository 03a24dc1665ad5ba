// `rnnkit export`: a checkpoint's model as an ONNX file (io.exportOnnx), and beside it the run's
// config as JSON (FILE.json: the task, the model's options, the tokenizer with its vocabulary by
// id, the data layout), which a program running the ONNX file needs to turn texts into ids.

import { writeAtomic } from '../../io/atomic.js';
import { exportOnnx } from '../../io/onnx/export.js';
import type { OnnxValueInfo } from '../../io/onnx/types.js';
import { OPSETS } from '../../io/onnx/options.js';
import { requireFlag, UsageError } from '../argv.js';
import { CHECKPOINT_FLAG, loadCheckpoint } from '../checkpoint.js';
import type { Command } from '../main.js';

const FLAGS = {
  checkpoint: CHECKPOINT_FLAG,
  format: { type: 'string', value: 'FORMAT', choices: ['onnx'], description: 'the file format (onnx)' },
  out: { type: 'string', value: 'FILE', description: 'the file to write (FILE.json gets the tokenizer and config)' },
  opset: { type: 'integer', min: OPSETS.min, default: OPSETS.default, description: `the ONNX opset, ${OPSETS.min}..${OPSETS.max}` },
  'state-inputs': { type: 'boolean', description: "a language model takes inputs h0 (and c0) for the initial state, to step a decoder" },
} as const;

const listed = (values: OnnxValueInfo[]) => values.map((v) => `${v.name} ${v.dtype} [${v.dims.join(', ')}]`).join(', ');

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit export --checkpoint DIR --format onnx --out FILE',
  description: [
    "Writes a checkpoint's model as an ONNX file that onnxruntime runs: inputs ids (int32 [batch, time],",
    'padded) and lengths (int32 [batch]); a classifier outputs logits [batch, classes], a language model',
    'logits [batch, time, vocabulary] and its final state h_n (and c_n). FILE.json holds the tokenizer',
    '(its vocabulary by id) and the run config.',
    '',
    'Examples:',
    '  rnnkit export --checkpoint rnnkit-run --format onnx --out model.onnx',
    '  rnnkit export --checkpoint book-lm --format onnx --out lm.onnx --state-inputs',
  ].join('\n'),
  flags: FLAGS,
  async run(flags) {
    const checkpoint = requireFlag(flags.checkpoint, 'checkpoint');
    requireFlag(flags.format, 'format');
    const out = requireFlag(flags.out, 'out');
    if (flags.opset > OPSETS.max) throw new UsageError(`--opset must be <= ${OPSETS.max}, got ${flags.opset}`);
    const { model, config } = await loadCheckpoint(checkpoint, ['classify', 'multilabel', 'lm'], 'export');
    const stateInputs = flags['state-inputs'] ?? false;
    if (stateInputs && config.task !== 'lm') throw new UsageError('--state-inputs is for a language-model checkpoint (rnnkit train --task lm)');
    const info = await exportOnnx(model, out, { opset: flags.opset, stateInputs });
    await writeAtomic('rnnkit export', `${out}.json`, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
    process.stdout.write(
      `wrote ${out} (${info.bytes.toLocaleString('en-US')} bytes, ONNX opset ${info.opset}) and ${out}.json (tokenizer and config)\n` +
        `  inputs   ${listed(info.inputs)}\n  outputs  ${listed(info.outputs)}\n`,
    );
  },
};
