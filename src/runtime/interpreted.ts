import { interpret } from '../ir/interpret.js';
import type { Node } from '../ir/node.js';
import type { RefTensor } from '../ir/ops/rule.js';
import { concrete, sizeOf } from '../ir/types.js';
import { newArray, type TypedArray } from './buffers.js';
import type { Program, ProgramSpec } from './program.js';
import type { Session } from './session.js';

/**
 * Runs a program on the float64 reference interpreter (KERAS_JIT_BACKEND=interpret): slow, but the
 * definition of every op, so compiled results can be checked against it end to end.
 */
export function interpretedProgram(spec: ProgramSpec, session: Session): Program {
  const graph = spec.graph;
  const inputs = spec.inputs.map((n) => newArray(n.dtype, sizeOf(concrete(n.shape, 'input'))));
  const outputs = spec.graph.outputs.map((n) => newArray(n.dtype, sizeOf(concrete(n.shape, 'output'))));
  const toRef = (node: Node, data: ArrayLike<number>): RefTensor => ({ shape: concrete(node.shape, 'source'), data: Float64Array.from(data) });
  return {
    spec,
    stats: { kernels: 0, arenaBytes: 0, compileMs: 0 },
    input: (i) => inputs[i],
    output: (i) => outputs[i],
    dispose: () => {},
    run(seed: number) {
      const result = interpret(graph, {
        source(node) {
          if (node.op === 'variable') return toRef(node, session.view(session.variableOf(node)));
          if (node === spec.seed) return toRef(node, [seed]);
          const i = spec.inputs.indexOf(node);
          if (i < 0) throw new Error(`program '${spec.name}': input '${node.attrs.label}' is not fed`);
          return toRef(node, inputs[i]);
        },
      });
      result.outputs.forEach((t, i) => (outputs[i] as TypedArray).set(t.data));
      graph.updates.forEach((u, i) => session.view(session.variableOf(u.variable)).set(result.updates[i].data));
    },
  };
}
