/**
 * plotHistory: one polyline per series (training and val_ of each metric drawn), points at the
 * epochs the values belong to (validationFreq leaves gaps), names escaped, PNG through the
 * rasterizer, and clear errors for unknown metrics, extensions and options.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, Session, backend as K, layers, tensor, utils } from '../src/index.js';
import { values } from './support/tiny-model.js';

function polylines(svg: string): { series: string; points: [number, number][] }[] {
  return [...svg.matchAll(/<polyline class="series" data-series="([^"]*)"[^>]* points="([^"]*)"\/>/g)].map((m) => ({
    series: m[1],
    points: m[2].split(' ').map((p) => p.split(',').map(Number) as [number, number]),
  }));
}

async function trained() {
  K.setSession(new Session({ seed: 3 }));
  const m = new Sequential([new layers.Dense(1, { inputShape: [2] })]);
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  const x = tensor(new Float32Array(values(16, 81)), [8, 2]);
  const y = tensor(new Float32Array(values(8, 82)), [8, 1]);
  return m.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, validationData: [x, y], validationFreq: 2 });
}

test('one line per series, each point at its epoch; validationFreq gaps respected', async () => {
  const history = await trained();
  const dir = mkdtempSync(join(tmpdir(), 'keras-jit-history-'));
  const file = join(dir, 'history.svg');
  const svg = await utils.plotHistory(history, { toFile: file });
  assert.is(readFileSync(file, 'utf8'), svg);
  const lines = polylines(svg);
  assert.equal(lines.map((l) => l.series), ['loss', 'val_loss', 'mae', 'val_mae']);
  assert.equal(lines.map((l) => l.points.length), [4, 2, 4, 2]);
  // val_loss (epochs 2 and 4) sits at the x of the training points of epochs 2 and 4.
  assert.equal(lines[1].points.map((p) => p[0]), [lines[0].points[1][0], lines[0].points[3][0]]);
  // Larger values are drawn higher (smaller y) within a panel.
  const loss = history.history.loss;
  const [hiIdx, loIdx] = [loss.indexOf(Math.max(...loss)), loss.indexOf(Math.min(...loss))];
  assert.ok(lines[0].points[hiIdx][1] < lines[0].points[loIdx][1]);
  assert.is((svg.match(/<g class="panel"/g) ?? []).length, 2);
});

test('metrics picks the panels; names are escaped; PNG is rasterized', async () => {
  const history = await trained();
  const only = await utils.plotHistory(history, { metrics: ['mae'] });
  assert.equal(polylines(only).map((l) => l.series), ['mae', 'val_mae']);
  const odd = await utils.plotHistory({ history: { 'a<b&"c': [1, 2, 3] } });
  assert.ok(odd.includes('a&lt;b&amp;&quot;c') && !odd.includes('a<b'), 'user strings are escaped');
  assert.is(polylines(odd).length, 1);
  const png = join(mkdtempSync(join(tmpdir(), 'keras-jit-history-')), 'h.png');
  await utils.plotHistory(history, { toFile: png });
  assert.equal(Array.from(readFileSync(png).subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('bad calls say what was wrong', async () => {
  const history = await trained();
  const fails = async (run: () => Promise<unknown>, pattern: RegExp) => {
    let message = '';
    try {
      await run();
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, pattern);
  };
  await fails(() => utils.plotHistory(history, { metrics: ['accuracy'] }), /no metric 'accuracy' in the history; it has 'loss', 'mae'/);
  await fails(() => utils.plotHistory(history, { toFile: 'h.jpg' }), /unsupported extension ".jpg"; supported: .svg, .png/);
  await fails(() => utils.plotHistory(history, { to_file: 'h.svg' } as never), /Did you mean 'toFile'\?/);
  await fails(() => utils.plotHistory({ history: {} }), /the history is empty/);
  await fails(() => utils.plotHistory(null as never), /expected the History fit\(\) returns/);
});

test.run();
