// What a policy does with an event, from its matches — the contract in the team brief,
// independent of how the matches were found (interpreter, tables or kernel).
//
// blocked: some match blocks. A `drop` (Sysmon/MoonMon exclude) wins over everything else
// for logging; otherwise any log/alert/block/kill/tag/scan keeps the event; otherwise the
// loaded policies' default for the event type decides (missing default = drop).

import type { ActionKind, LunaEvent, Policy } from '../policy/ast.ts';
import type { Match, Verdict } from './matcher.ts';

const KEEPS: ReadonlySet<ActionKind> = new Set<ActionKind>(['log', 'alert', 'block', 'kill', 'tag', 'scan']);

const has = (m: Match, pred: (k: ActionKind) => boolean) => m.actions.some((a) => pred(a.kind));

export function verdict(event: Pick<LunaEvent, 'type'>, matches: readonly Match[], policies: readonly Pick<Policy, 'defaults'>[]): Verdict {
  const blocked = matches.some((m) => has(m, (k) => k === 'block'));
  const dropping = matches.find((m) => has(m, (k) => k === 'drop'));
  if (dropping) return { logged: false, blocked, ruleName: dropping.ruleName ?? null };
  const keeping = matches.find((m) => has(m, (k) => KEEPS.has(k)));
  if (keeping) return { logged: true, blocked, ruleName: keeping.ruleName ?? null };
  const logged = policies.some((p) => Object.hasOwn(p.defaults, event.type) && p.defaults[event.type] === 'log');
  return { logged, blocked, ruleName: null };
}
