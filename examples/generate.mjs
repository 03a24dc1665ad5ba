import * as rk from 'rnnkit';

// A character language model learns a short rhyme, then continues a prompt: greedily, and by
// sampling with a temperature, top-k and top-p (a seed makes the sample repeatable).
const text = 'twinkle, twinkle, little star, how I wonder what you are. '.repeat(30);
const tokenizer = rk.data.CharTokenizer.fromCorpus(text);

rk.seed(0);
const model = new rk.nn.LanguageModel({ vocabSize: tokenizer.vocabSize, embeddingDim: 16, hiddenSize: 64 });
await rk.train.fit(model, {
  data: rk.data.textWindows(tokenizer.encode(text), { time: 32, stride: 8, batchSize: 16, seed: 0 }),
  epochs: 5,
  optimizer: new rk.optim.Adam(model.parameters(), { lr: 0.01 }),
  loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
  progress: 'off',
});

const prompt = 'how I w';
console.log('greedy:', prompt + (await rk.generate(model, tokenizer, { prompt, maxTokens: 40, temperature: 0 })));
const options = { prompt, maxTokens: 40, temperature: 0.8, topK: 5, topP: 0.9, seed: 1 };
console.log('sampled:', prompt + (await rk.generate(model, tokenizer, options)));

// Token by token, as they are drawn: the prompt runs once, then one recurrent step per token.
process.stdout.write('streamed: ' + prompt);
for await (const token of rk.generateTokens(model, tokenizer, { ...options, stop: '.' })) process.stdout.write(token.text);
process.stdout.write('\n');
