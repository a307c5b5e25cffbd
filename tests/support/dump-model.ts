/**
 * The small models the dump tests print: explicit layer and model names and a fresh seeded
 * session, so dumps do not depend on name counters or on which tests ran before.
 */
import { Input, Model, Session, backend, layers } from '../../src/index.js';

export interface SmallModelOptions {
  /** Name of the hidden Dense layer (the escaping tests pass hostile strings). */
  readonly hidden?: string;
  readonly input?: string;
  readonly output?: string;
  readonly dropout?: boolean;
  readonly compile?: boolean;
}

/** features[3] → Dense 4 relu → (Dropout) → Dense 2 softmax, SGD + categorical crossentropy + accuracy. */
export function smallModel(options: SmallModelOptions = {}): Model {
  backend.setSession(new Session({ seed: 7 }));
  const x = Input({ shape: [3], name: options.input ?? 'features' });
  let h = new layers.Dense(4, { activation: 'relu', name: options.hidden ?? 'hidden' })(x);
  if (options.dropout === true) h = new layers.Dropout(0.5, { name: 'drop' })(h);
  const y = new layers.Dense(2, { activation: 'softmax', name: options.output ?? 'probs' })(h);
  const model = new Model({ inputs: x, outputs: y, name: 'small' });
  if (options.compile ?? true) model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}
