/**
 * ModelCheckpoint's filename templates against real Keras 3 (tests/fixtures/checkpoint_paths.py):
 * every path `keras.callbacks.ModelCheckpoint._get_file_path` returned, or the error it raised,
 * for templates covering Python's format-spec language (width, fill, align, sign, grouping, 'z',
 * '#', e/f/g/%/no type, int bases, !r / !s, nested specs) and log values with exact ties, NaN, inf
 * and -0.0; and the "improved from" numbers Keras prints.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { callbacks } from '../src/index.js';
import { pyFormatFloat } from '../src/api/callbacks/py-format.js';

interface Case {
  template: string;
  epoch: number;
  batch: number | null;
  logs: number;
  path?: string;
  error?: { type: string; message: string };
}
interface Fixture {
  keras_version: string;
  logs: Record<string, string>[];
  cases: Case[];
  messages: { best: string | null; current: string; best_str: string; current_str: string }[];
}

const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/checkpoint_paths.json', import.meta.url), 'utf8')) as Fixture;
const pyFloat = (text: string): number => ({ nan: NaN, inf: Infinity, '-inf': -Infinity })[text] ?? Number(text);
const logsOf = (i: number): Record<string, number> => Object.fromEntries(Object.entries(fixture.logs[i]).map(([k, v]) => [k, pyFloat(v)]));

test('the fixture comes from Keras 3.15 and covers paths and errors', () => {
  assert.ok(fixture.keras_version.startsWith('3.15'), fixture.keras_version);
  assert.ok(fixture.cases.filter((c) => c.path !== undefined).length > 250);
  assert.ok(fixture.cases.filter((c) => c.error !== undefined).length > 100);
});

test('every template fills as Keras fills it (or fails with its message)', () => {
  const failures: string[] = [];
  for (const c of fixture.cases) {
    const cb = new callbacks.ModelCheckpoint(c.template);
    let got: string;
    try {
      got = cb.filePathFor(c.epoch, c.batch ?? undefined, logsOf(c.logs));
    } catch (e) {
      got = `error: ${e instanceof Error ? e.message : String(e)}`;
    }
    const want = c.path ?? `error: ${c.error!.message}`;
    if (got !== want) failures.push(`${c.template} epoch=${c.epoch} batch=${c.batch} logs#${c.logs}: got ${JSON.stringify(got)}, Keras ${JSON.stringify(want)}`);
  }
  assert.equal(failures.slice(0, 12), []);
});

test("the verbose messages' numbers format as Keras's f'{x:.5f}'", () => {
  for (const m of fixture.messages) {
    assert.is(pyFormatFloat(pyFloat(m.current), '.5f'), m.current_str);
    if (m.best !== null) assert.is(pyFormatFloat(pyFloat(m.best), '.5f'), m.best_str);
  }
});

test.run();
