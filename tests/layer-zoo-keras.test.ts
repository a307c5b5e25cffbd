/**
 * The layer zoo against real Keras 3 (tests/fixtures/layer_zoo.json, written by layer_zoo.py):
 * same inputs and weights, Keras's outputs, weight names and parameter counts.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layers, tensor, type Tensor } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';
import { printReport, record, runLayer, worstOf } from './support/zoo-report.js';

interface Array1 { readonly shape: number[]; readonly data: number[] }
interface Case {
  readonly label: string;
  readonly className: string;
  /** Keras's automatic name (class name in snake_case, numbered). */
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly inputs: Array1[];
  readonly weights: Array1[];
  readonly weightNames: string[];
  readonly adapt: Array1[] | null;
  readonly output: Array1;
  readonly countParams: number;
}

const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/layer_zoo.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (a: Array1): Tensor => tensor(Float32Array.from(a.data), a.shape);

/** Our constructors take Keras's leading positional arguments positionally. */
function construct({ className, args }: Case): Layer {
  const { filters, kernelSize, scale, axes, dims, rate, ...rest } = args as Record<string, never>;
  switch (className) {
    case 'Conv2D': return new layers.Conv2D(filters, kernelSize, rest);
    case 'SeparableConv2D': return new layers.SeparableConv2D(filters, kernelSize, rest);
    case 'DepthwiseConv2D': return new layers.DepthwiseConv2D(kernelSize, rest);
    case 'Rescaling': return new layers.Rescaling(scale, rest);
    case 'Dot': return new layers.Dot(axes, rest);
    case 'Permute': return new layers.Permute(dims, rest);
    case 'SpatialDropout2D': return new layers.SpatialDropout2D(rate, rest);
    case 'AlphaDropout': return new layers.AlphaDropout(rate, rest);
    default: {
      const ctor = (layers as unknown as Record<string, new (a: object) => Layer>)[className];
      assert.type(ctor, 'function', `layers.${className} exists`);
      return new ctor(args);
    }
  }
}

test(`fixture is from Keras 3 (${fixture.keras})`, () => {
  assert.ok(fixture.keras.startsWith('3.'));
  assert.ok(fixture.cases.length >= 30);
});

for (const c of fixture.cases) {
  test(`${c.label}: output, name, weight names and parameter count as Keras`, () => {
    const layer = construct(c);
    if (c.adapt !== null) (layer as layers.Normalization).adapt(c.adapt.map(toTensor));
    const inputs = c.inputs.map(toTensor);
    // Build on the input shapes, then load Keras's weights.
    layer.maybeBuild(inputs.length === 1 ? [null, ...inputs[0].shape.slice(1)] : inputs.map((x) => [null, ...x.shape.slice(1)]));
    const unnumbered = (name: string) => name.replace(/_\d+$/, '');
    assert.is(unnumbered(layer.name), unnumbered(c.name), 'automatic name');
    assert.equal(layer.weights.map((w) => w.name), c.weightNames, 'weight names');
    assert.is(layer.countParams(), c.countParams, 'count_params()');
    if (c.adapt === null) layer.setWeights(c.weights.map(toTensor));
    else {
      // adapt() computed the statistics itself; they must agree with Keras's.
      layer.getWeights().forEach((w, i) => {
        const diff = Math.max(...Array.from(w.data, (v, k) => Math.abs(v - c.weights[i].data[k])));
        assert.ok(diff < 1e-5, `adapted ${c.weightNames[i]}: max |diff| ${diff}`);
      });
    }
    const run = runLayer(layer, inputs);
    assert.equal([...run.compiled.shape], c.output.shape, 'output shape');
    const diff = worstOf(run, c.output.data);
    record(c.className, 'Keras 3 fixture', diff);
    assert.ok(diff < 2e-5 * Math.max(1, ...c.output.data.map(Math.abs)), `max |diff| ${diff}`);
  });
}

test.after(printReport);
test.run();
