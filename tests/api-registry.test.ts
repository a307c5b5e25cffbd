/** Registry: identifiers resolved by each registry's spelling rule; unknown ones listed in errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { activations, initializers, losses, optimizers } from '../src/index.js';
import { lowerCaseSpelling, Registry, snakeCaseSpelling } from '../src/api/registry.js';

test('spellings: exact with aliases, snake_case from camelCase, case-insensitive', () => {
  const exact = new Registry<number>('thing').register('one_thing', 1, ['oneThing']);
  assert.is(exact.get('oneThing'), 1);
  assert.is(exact.find('OneThing'), undefined);
  assert.is(exact.canonicalName('oneThing'), 'one_thing');
  assert.equal(exact.names(), ['one_thing']);
  assert.equal(exact.spellings(), ['one_thing', 'oneThing']);
  assert.throws(() => exact.get('two'), /^Could not interpret thing identifier: two$/);
  const snake = new Registry<number>('thing', { spelling: snakeCaseSpelling }).register('glorot_uniform', 2);
  assert.is(snake.get('GlorotUniform'), 2);
  const lower = new Registry<number>('thing', { spelling: lowerCaseSpelling }).register('rmsprop', 3);
  assert.is(lower.get('RMSprop'), 3);
});

test('a spelling registered twice is an error; nameOf gives the first name of a value', () => {
  const r = new Registry<string>('thing').register('a', 'x').register('b', 'x');
  assert.throws(() => r.register('c', 'y', ['a']), /thing 'a' is already registered/);
  assert.is(r.nameOf('x'), 'a');
  assert.is(r.nameOf('z'), undefined);
});

test('Object.prototype keys are not identifiers', () => {
  assert.throws(() => activations.get('constructor'), /Could not interpret activation function identifier: 'constructor'/);
  assert.throws(() => initializers.get('toString'), /Could not interpret initializer identifier/);
  assert.throws(() => losses.getLoss('constructor'), /Unknown loss 'constructor'/);
  assert.throws(() => optimizers.getOptimizer('__proto__'), /Unknown optimizer '__proto__'/);
  assert.is(activations.serialize(activations.swish), 'silu', 'swish is silu, whose name comes first');
});

test.run();
