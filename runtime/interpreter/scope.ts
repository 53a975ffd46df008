// Name resolution for lists and macros: a policy's own declarations first, then the first
// declaration of that name in any loaded policy (load order), like Falco's global macros.

import type { Expr, Policy, Scalar } from '../../policy/ast.ts';

export class Scope {
  private readonly lists = new Map<string, Scalar[]>();
  private readonly macros = new Map<string, Expr>();
  private readonly parent: Scope | undefined;

  constructor(declaring: Pick<Policy, 'lists' | 'macros'>[], parent?: Scope) {
    this.parent = parent;
    for (const p of declaring) {
      for (const l of p.lists) if (!this.lists.has(l.name)) this.lists.set(l.name, l.items);
      for (const m of p.macros) if (!this.macros.has(m.name)) this.macros.set(m.name, m.condition);
    }
  }

  list(name: string): Scalar[] | undefined {
    return this.lists.get(name) ?? this.parent?.list(name);
  }

  macro(name: string): Expr | undefined {
    return this.macros.get(name) ?? this.parent?.macro(name);
  }
}

/** One scope per policy, each falling back to the global scope of all policies. */
export function scopesFor(policies: Policy[]): Map<Policy, Scope> {
  const global = new Scope(policies);
  return new Map(policies.map((p) => [p, new Scope([p], global)]));
}
