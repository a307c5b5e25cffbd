#!/usr/bin/env node
/**
 * keras-jit-dump: prints what keras-jit compiles for a model without editing the script that
 * builds it. The module must export the model, or a function (sync or async) returning it: the
 * default export, or the export named by --export. Importing the module runs its top-level code,
 * so point this at a module that builds (and compiles) a model, not one that trains it.
 *
 *   keras-jit-dump model.js --graph train --stage fused --batch-size 128
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DumpFormat, DumpOptions, DumpStage } from '../api/training/dump.js';
import type { GraphKind } from '../api/training/programs.js';

const USAGE = `usage: keras-jit-dump <module> [--export NAME] [--graph train|evaluate|predict]
                      [--stage ir|optimized|fused|code] [--batch-size N] [--format text|dot]

Imports <module>, takes its default export (or --export NAME): a model, or a function returning one
(possibly async), and prints model.dump({ graph, stage, batchSize, format }) to stdout.
Defaults: --graph train (predict when the model is not compiled), --stage fused, --batch-size 32.
`;

interface Dumpable {
  dump(options: DumpOptions): string;
  compiled?: unknown;
}

function isDumpable(x: unknown): x is Dumpable {
  // Layers and models are callable (as in Keras), so a model may be a function too.
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { dump?: unknown }).dump === 'function';
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      export: { type: 'string' },
      graph: { type: 'string' },
      stage: { type: 'string', default: 'fused' },
      'batch-size': { type: 'string', default: '32' },
      format: { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true || positionals.length !== 1) {
    (values.help === true ? process.stdout : process.stderr).write(USAGE);
    return values.help === true ? 0 : 2;
  }
  const file = resolve(positionals[0]);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const name = values.export ?? 'default';
  if (!(name in mod)) throw new Error(`${positionals[0]} has no export named '${name}'; exports: ${Object.keys(mod).join(', ') || '(none)'}`);
  const exported = mod[name];
  const model: unknown = isDumpable(exported) || typeof exported !== 'function' ? exported : await (exported as () => unknown)();
  if (!isDumpable(model)) throw new Error(`export '${name}' of ${positionals[0]} is not a keras-jit model (nor a function returning one)`);
  const batchSize = Number(values['batch-size']);
  const graph = (values.graph ?? (model.compiled === undefined ? 'predict' : 'train')) as GraphKind;
  process.stdout.write(model.dump({ graph, stage: values.stage as DumpStage, batchSize, format: values.format as DumpFormat }));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`keras-jit-dump: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
