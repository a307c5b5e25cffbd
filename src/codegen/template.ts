/**
 * Builds kernel ASTs from JavaScript templates. A template is our own source text (never user
 * input) parsed once by acorn; identifiers starting with `$` are holes filled with AST nodes,
 * numbers or generated identifiers. Code is never assembled by pasting strings.
 */
import { parse } from 'acorn';
import { generate } from 'astring';
import type * as ES from 'estree';

export type Hole = ES.Expression | ES.Statement | readonly ES.Statement[] | number | boolean | Ident;

/** A generated identifier: only [A-Za-z_$][A-Za-z0-9_$]* ever reaches code. */
export class Ident {
  constructor(readonly name: string) {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) throw new Error(`codegen: '${name}' is not a safe identifier`);
  }
}
export const ident = (name: string): ES.Identifier => ({ type: 'Identifier', name: new Ident(name).name });

export function lit(value: number | boolean): ES.Expression {
  if (typeof value === 'boolean') return { type: 'Literal', value };
  if (Number.isNaN(value)) return ident('NaN');
  if (value === Infinity) return ident('Infinity');
  if (value === -Infinity) return { type: 'UnaryExpression', operator: '-', prefix: true, argument: ident('Infinity') };
  if (value < 0 || Object.is(value, -0)) return { type: 'UnaryExpression', operator: '-', prefix: true, argument: { type: 'Literal', value: -value } };
  return { type: 'Literal', value };
}

const parsed = new Map<string, ES.Program>();
function parseOnce(src: string): ES.Program {
  let program = parsed.get(src);
  if (program === undefined) {
    program = parse(src, { ecmaVersion: 2022, sourceType: 'script', allowReturnOutsideFunction: true }) as unknown as ES.Program;
    parsed.set(src, program);
  }
  return program;
}

function toExpression(hole: Hole, name: string): ES.Expression {
  if (typeof hole === 'number' || typeof hole === 'boolean') return lit(hole);
  if (hole instanceof Ident) return ident(hole.name);
  if (Array.isArray(hole) || !('type' in (hole as object))) throw new Error(`codegen: hole ${name} needs an expression`);
  return hole as ES.Expression;
}

function isStatementHole(node: unknown, holes: Readonly<Record<string, Hole>>): string | undefined {
  const n = node as ES.Node;
  if (n?.type === 'ExpressionStatement' && n.expression.type === 'Identifier' && n.expression.name.startsWith('$')) {
    const h = holes[n.expression.name];
    if (Array.isArray(h) || (h !== undefined && typeof h === 'object' && !(h instanceof Ident) && 'type' in h && !isExpressionNode(h as ES.Node))) {
      return n.expression.name;
    }
  }
  return undefined;
}

function isExpressionNode(n: ES.Node): boolean {
  return !/(Statement|Declaration)$/.test(n.type) && n.type !== 'VariableDeclaration';
}

function fill(node: unknown, holes: Readonly<Record<string, Hole>>): unknown {
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const item of node) {
      const name = isStatementHole(item, holes);
      if (name !== undefined) {
        const h = holes[name];
        if (Array.isArray(h)) out.push(...h);
        else out.push(h);
      } else out.push(fill(item, holes));
    }
    return out;
  }
  if (node === null || typeof node !== 'object') return node;
  const n = node as Record<string, unknown> & { type?: string; name?: string };
  if (n.type === 'Identifier' && typeof n.name === 'string' && n.name.startsWith('$')) {
    const hole = holes[n.name];
    if (hole === undefined) throw new Error(`codegen: template hole ${n.name} was not filled`);
    return toExpression(hole, n.name);
  }
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) {
    if (k === 'start' || k === 'end' || k === 'loc' || k === 'range') continue;
    copy[k] = fill(v, holes);
  }
  return copy;
}

/** Statements from a template, holes filled. A hole standing alone as a statement may be a statement list. */
export function stmts(src: string, holes: Readonly<Record<string, Hole>> = {}): ES.Statement[] {
  return fill(parseOnce(src).body, holes) as ES.Statement[];
}

/** One expression from a template, holes filled. */
export function expr(src: string, holes: Readonly<Record<string, Hole>> = {}): ES.Expression {
  const body = parseOnce(`(${src});`).body[0] as ES.ExpressionStatement;
  return fill(body.expression, holes) as ES.Expression;
}

export function print(node: ES.Node): string {
  return generate(node);
}
