import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

// The demo classifier as `rnnkit export --out model.onnx` wrote it, and its tokenizer (model.onnx.json).
const { tokenizer } = JSON.parse(readFileSync('model.onnx.json', 'utf8'));
const texts = ['ahbmhhceidblhmoflekiniaoeomglcf', 'pkcjdoa', 'dmmpnbo'];
const time = Math.max(...texts.map((t) => t.length));
const ids = new Int32Array(texts.length * time); // 0 pads; an unknown letter would be 1 ([UNK])
texts.forEach((t, b) => [...t].forEach((ch, i) => (ids[b * time + i] = Math.max(1, tokenizer.vocabulary.indexOf(ch)))));

const session = await ort.InferenceSession.create('model.onnx');
const { logits } = await session.run({
  ids: new ort.Tensor('int32', ids, [texts.length, time]),
  lengths: new ort.Tensor('int32', Int32Array.from(texts, (t) => t.length), [texts.length]),
});
texts.forEach((text, b) => {
  const row = Array.from(logits.data.subarray(b * 4, (b + 1) * 4));
  console.log(`${text}: class ${row.indexOf(Math.max(...row))}`);
});
