/**
 * Keras's addition_rnn example: a sequence-to-sequence LSTM learns to add two numbers given as
 * text ("535+61 " -> "596 "). An LSTM encodes the question's one-hot characters into one vector,
 * RepeatVector feeds it to every answer position, a second LSTM decodes, and a softmax Dense applied
 * at every position (TimeDistributed) picks each answer character. The question is reversed, as in
 * the original, because it shortens the path between the digits that are added.
 *
 *   npm run example:addition -- --epochs 30 --samples 50000
 */
import { Sequential, layers, tensor } from '../src/index.js';
import { intArg } from './args.js';
import { seededRandom } from './data/rng.js';

const { LSTM, RepeatVector, TimeDistributed, Dense } = layers;

const digits = 3;
const questionLength = digits + 1 + digits;
const answerLength = digits + 1;
const alphabet = '0123456789+ ';
const samples = intArg('samples', 20000);
const epochs = intArg('epochs', 8);

/** Row-major one-hot [rows, length, alphabet] of space-padded strings. */
function oneHot(texts: readonly string[], length: number): Float32Array {
  const out = new Float32Array(texts.length * length * alphabet.length);
  texts.forEach((text, row) => {
    for (let t = 0; t < length; t++) out[(row * length + t) * alphabet.length + alphabet.indexOf(text[t] ?? ' ')] = 1;
  });
  return out;
}

function decode(probabilities: Float32Array, row: number): string {
  let text = '';
  for (let t = 0; t < answerLength; t++) {
    const at = (row * answerLength + t) * alphabet.length;
    let best = 0;
    for (let c = 1; c < alphabet.length; c++) if (probabilities[at + c] > probabilities[at + best]) best = c;
    text += alphabet[best];
  }
  return text;
}

// Distinct questions a+b with a, b of up to three digits, as in the original.
const random = seededRandom(7);
const seen = new Set<string>();
const questions: string[] = [];
const answers: string[] = [];
const number = () => Math.floor(random() * 10 ** (1 + Math.floor(random() * digits)));
while (questions.length < samples) {
  const a = number();
  const b = number();
  const key = `${Math.min(a, b)}+${Math.max(a, b)}`;
  if (seen.has(key)) continue;
  seen.add(key);
  questions.push(`${a}+${b}`.padEnd(questionLength).split('').reverse().join(''));
  answers.push(String(a + b).padEnd(answerLength));
}

const split = Math.floor(samples * 0.9);
const x = oneHot(questions, questionLength);
const y = oneHot(answers, answerLength);
const sampleSize = questionLength * alphabet.length;
const answerSize = answerLength * alphabet.length;
const xTrain = tensor(x.subarray(0, split * sampleSize), [split, questionLength, alphabet.length]);
const yTrain = tensor(y.subarray(0, split * answerSize), [split, answerLength, alphabet.length]);
const xVal = tensor(x.subarray(split * sampleSize), [samples - split, questionLength, alphabet.length]);
const yVal = tensor(y.subarray(split * answerSize), [samples - split, answerLength, alphabet.length]);

const model = new Sequential([
  new LSTM(128, { inputShape: [questionLength, alphabet.length] }),
  new RepeatVector(answerLength),
  new LSTM(128, { returnSequences: true }),
  new TimeDistributed(new Dense(alphabet.length, { activation: 'softmax' })),
]);
model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
model.summary();

const history = await model.fit(xTrain, yTrain, { batchSize: 32, epochs, validationData: [xVal, yVal], verbose: 2 });

const shown = 10;
const predictions = model.predict(tensor(x.subarray(split * sampleSize, (split + shown) * sampleSize), [shown, questionLength, alphabet.length]));
const probabilities = (Array.isArray(predictions) ? predictions[0] : predictions).data as Float32Array;
let right = 0;
for (let i = 0; i < shown; i++) {
  const guess = decode(probabilities, i);
  const correct = answers[split + i];
  if (guess === correct) right++;
  console.log(`Q ${questions[split + i].split('').reverse().join('')}  T ${correct}  ${guess === correct ? '☑' : '☒'} ${guess}`);
}
console.log(`final val_accuracy: ${history.history.val_accuracy?.at(-1)?.toFixed(4)} (${right}/${shown} shown answers right)`);
