/** The syntax tree of a Jinja-subset template (see `jinja-subset.ts` for the subset). */

/** A value a template reads or computes. */
export type Value = unknown;

/** A piece of a template: text, an output (`{{ }}`), or an `if` / `for` block. */
export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr; source: string }
  | { kind: 'if'; branches: { condition: Expr; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'for'; variable: string; iterable: Expr; body: Node[]; otherwise: Node[] };

/** An expression, inside `{{ }}` or a tag. */
export type Expr =
  | { kind: 'literal'; value: Value }
  | { kind: 'name'; name: string }
  | { kind: 'get'; target: Expr; key: Expr }
  | { kind: 'not'; operand: Expr }
  | { kind: 'binary'; operator: string; left: Expr; right: Expr }
  | { kind: 'filter'; name: string; target: Expr; args: Expr[] };
