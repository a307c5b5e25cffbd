/**
 * The HDF5 tree wrapper: every dtype we read and write survives a round trip through h5wasm,
 * in memory; Keras's files read with their attributes (checked against h5py's view of them:
 * backend `jax`, keras_version 3.15.1, `vars` groups named after their layers).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataset, describeTree, group, groupAt, nodeAt, readHdf5, stringAttr, stringListAttr, writeHdf5, type H5Array } from '../src/api/saving/hdf5/index.js';

const dir = new URL('../../tests/fixtures/keras3/files/', import.meta.url);

test('all dtypes, scalars, string attributes and nested groups round trip', async () => {
  const root = group();
  const arrays: Record<string, H5Array> = {
    f32: { dtype: 'float32', shape: [2, 3], data: Float32Array.of(1.5, -2, 3, 4, 5, 6.25) },
    f64: { dtype: 'float64', shape: [2], data: Float64Array.of(Math.PI, -1e300) },
    i32: { dtype: 'int32', shape: [3], data: Int32Array.of(-7, 0, 2147483647) },
    i64: { dtype: 'int64', shape: [], data: BigInt64Array.of(-5n) },
    u8: { dtype: 'uint8', shape: [4], data: Uint8Array.of(0, 1, 254, 255) },
  };
  const g = groupAt(root, 'a/b', true);
  for (const [k, v] of Object.entries(arrays)) {
    g.children.set(k, dataset(v));
    g.attrs.set(`attr_${k}`, v);
  }
  g.attrs.set('name', stringAttr('dense_1 ünïcode'));
  g.attrs.set('names', stringListAttr(['x', 'y:0', '']));
  root.attrs.set('model_config', stringAttr('{"class_name": "Sequential"}'));
  const back = await readHdf5(await writeHdf5(root), 'round-trip.h5');
  assert.equal(describeTree(back), describeTree(root));
  const bg = groupAt(back, 'a/b');
  assert.ok(bg !== undefined);
  for (const [k, v] of Object.entries(arrays)) {
    const d = nodeAt(back, `a/b/${k}`);
    assert.ok(d !== undefined && d.kind === 'dataset');
    assert.is(d.dtype, v.dtype, k);
    assert.equal([...d.shape], [...v.shape], k);
    assert.equal(Array.from(d.data as ArrayLike<number>), Array.from(v.data as ArrayLike<number>), k);
    const a = bg.attrs.get(`attr_${k}`) as H5Array;
    assert.is(a.dtype, v.dtype);
    assert.equal(Array.from(a.data as ArrayLike<number>), Array.from(v.data as ArrayLike<number>), `attr ${k}`);
  }
  assert.equal(bg.attrs.get('name')?.data, ['dense_1 ünïcode']);
  assert.equal(bg.attrs.get('names')?.data, ['x', 'y:0', '']);
  assert.equal(back.attrs.get('model_config')?.data, ['{"class_name": "Sequential"}']);
});

test("a Keras legacy file's attributes read as h5py shows them", async () => {
  const root = await readHdf5(new Uint8Array(readFileSync(new URL('mlp.h5', dir))), 'mlp.h5');
  const mw = groupAt(root, 'model_weights');
  assert.equal(mw?.attrs.get('backend')?.data, ['jax']);
  assert.equal(mw?.attrs.get('keras_version')?.data, ['3.15.1']);
  assert.equal(mw?.attrs.get('layer_names')?.data, ['dense', 'dense_1']);
  const keras3 = await readHdf5(new Uint8Array(readFileSync(new URL('gru.weights.h5', dir))), 'gru.weights.h5');
  assert.equal(groupAt(keras3, 'layers/gru/cell/vars')?.attrs.get('name')?.data, ['gru_cell']);
});

test.run();
