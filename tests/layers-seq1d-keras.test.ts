/**
 * The 1-D and sequence layers against real Keras 3 (tests/fixtures/seq1d_layers.json, written by
 * seq1d_layers.py): same inputs and weights, Keras's outputs, automatic names, weight names,
 * parameter counts and activity losses.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layers, tensor, type Model, type Tensor } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';
import * as B from '../src/ir/build.js';
import { interpret } from '../src/ir/interpret.js';
import { getSession } from '../src/api/backend.js';
import { printReport, record, runLayer, worstOf } from './support/zoo-report.js';

interface Array1 { readonly shape: number[]; readonly data: number[] }
interface Spec { readonly className: string; readonly args: Record<string, unknown> }
interface Case extends Spec {
  readonly label: string;
  readonly name: string;
  readonly inner: Spec | null;
  readonly inputs: Array1[];
  readonly weights: Array1[];
  readonly weightNames: string[];
  readonly output: Array1;
  readonly countParams: number;
  readonly losses: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/seq1d_layers.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (a: Array1): Tensor => tensor(Float32Array.from(a.data), a.shape);

/** Our constructors take Keras's leading positional arguments positionally. */
function construct({ className, args }: Spec, inner: Spec | null = null): Layer {
  const { filters, kernelSize, n, units, ...rest } = args as Record<string, never>;
  switch (className) {
    case 'Conv1D': return new layers.Conv1D(filters, kernelSize, rest);
    case 'Dense': return new layers.Dense(units, rest);
    case 'RepeatVector': return new layers.RepeatVector(n, rest);
    case 'TimeDistributed': return new layers.TimeDistributed(construct(inner!), rest);
    default: {
      const ctor = (layers as unknown as Record<string, new (a: object) => Layer>)[className];
      assert.type(ctor, 'function', `layers.${className} exists`);
      return new ctor(args);
    }
  }
}

/** The activity losses the layer adds when traced at the input's concrete shape, on the interpreter. */
function activityLosses(model: Model, x: Tensor): number[] {
  const input = B.input('x', x.shape);
  const traced = model.trace([input], true, B.input('seed', [], 'int32'));
  const session = getSession();
  const result = interpret({ outputs: traced.losses ?? [], updates: [] }, {
    source(node) {
      if (node.op === 'variable') {
        const v = session.variableOf(node);
        return { shape: v.shape, data: Float64Array.from(session.view(v)) };
      }
      return { shape: x.shape, data: Float64Array.from(x.data) };
    },
  });
  return result.outputs.map((r) => r.data[0]);
}

test(`fixture is from Keras 3 (${fixture.keras})`, () => {
  assert.ok(fixture.keras.startsWith('3.'));
  assert.ok(fixture.cases.length >= 30);
});

for (const c of fixture.cases) {
  test(`${c.label}: output, name, weight names, parameter count and losses as Keras`, () => {
    const layer = construct(c, c.inner);
    const inputs = c.inputs.map(toTensor);
    layer.maybeBuild([null, ...inputs[0].shape.slice(1)]);
    const unnumbered = (name: string) => name.replace(/_\d+$/, '');
    assert.is(unnumbered(layer.name), unnumbered(c.name), 'automatic name');
    assert.equal(layer.weights.map((w) => w.name), c.weightNames, 'weight names');
    assert.is(layer.countParams(), c.countParams, 'count_params()');
    layer.setWeights(c.weights.map(toTensor));
    const run = runLayer(layer, inputs);
    assert.equal([...run.compiled.shape], c.output.shape, 'output shape');
    assert.equal(run.model.outputShapes[0].slice(1), c.output.shape.slice(1), 'symbolic output shape');
    const diff = worstOf(run, c.output.data);
    record(c.className, 'Keras 3 fixture', diff);
    assert.ok(diff < 2e-5 * Math.max(1, ...c.output.data.map(Math.abs)), `max |diff| ${diff}`);
    const losses = activityLosses(run.model, inputs[0]);
    assert.is(losses.length, c.losses.length, 'number of activity losses');
    losses.forEach((l, i) => {
      const lossDiff = Math.abs(l - c.losses[i]);
      record(`${c.className} (activity loss)`, 'Keras 3 fixture', lossDiff);
      assert.ok(lossDiff < 1e-5 * Math.max(1, Math.abs(c.losses[i])), `loss ${l} vs Keras ${c.losses[i]}`);
    });
  });
}

test.after(printReport);
test.run();
