import type { Node } from './node.js';

/** A variable's new value, written in place at the end of a program (optimizer updates, moving statistics). */
export interface Update {
  readonly variable: Node<'variable'>;
  readonly value: Node;
}

/** What a program computes: values to return and variables to update. Everything else is derived. */
export interface Graph {
  readonly outputs: readonly Node[];
  readonly updates: readonly Update[];
}

export function graphRoots(graph: Graph): Node[] {
  return [...graph.outputs, ...graph.updates.map((u) => u.value)];
}

/** Every node reachable from `roots`, each after its inputs, in a deterministic order. */
export function topoOrder(roots: readonly Node[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: { node: Node; next: number }[] = [];
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    stack.push({ node: root, next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        const child = top.node.inputs[top.next++];
        if (!seen.has(child)) {
          seen.add(child);
          stack.push({ node: child, next: 0 });
        }
      } else {
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

/** For each node, the nodes that read it (within the given order). */
export function consumersOf(order: readonly Node[]): Map<Node, Node[]> {
  const users = new Map<Node, Node[]>();
  for (const n of order) users.set(n, []);
  for (const n of order) for (const i of n.inputs) users.get(i)?.push(n);
  return users;
}
