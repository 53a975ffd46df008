// The rule language's `scan "policy" [target Field]` action: find the named scan policy in the
// given files/directories, aim it at the event's field value when a target field is named
// (an IP address or host name; anything else is refused), and run it once.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import type { Action, LunaEvent } from '../../policy/ast.ts';
import { loadScanPolicy, type ScanPolicy } from '../../scanner/policy/load-policy.ts';
import { runPolicyOnce, type PolicyRun } from '../../scanner/policy/run.ts';

type ScanAction = Extract<Action, { kind: 'scan' }>;

function policyFiles(paths: string[]): string[] {
  const out: string[] = [];
  // Files named explicitly are always read; in directories only *.scan.yaml / *.scan.yml.
  const walk = (p: string, explicit: boolean) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e), false);
    else if (explicit || /\.scan\.ya?ml$/i.test(p)) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** The scan policy called `name` among `*.scan.yaml` files under the paths, or null. */
export function findScanPolicy(name: string, paths: string[]): ScanPolicy | null {
  for (const f of policyFiles(paths)) {
    const r = loadScanPolicy(f);
    if (r.policy?.name === name) return r.policy;
  }
  return null;
}

export interface ScanActionResult {
  policy: string;
  target: string | null;
  run?: PolicyRun;
  refused?: string;
}

export async function runScanAction(action: ScanAction, event: LunaEvent, opts: { policyPaths: string[]; stateDir: string }): Promise<ScanActionResult> {
  const policy = findScanPolicy(action.policy, opts.policyPaths);
  if (!policy) return { policy: action.policy, target: null, refused: `no scan policy named '${action.policy}'` };
  let target: string | null = null;
  if (action.target) {
    const v = event.fields[action.target];
    if (typeof v !== 'string' || !(net.isIP(v) || /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(v))) {
      return { policy: action.policy, target: null, refused: `event field ${action.target} is not an address or host name` };
    }
    target = v;
  }
  const aimed: ScanPolicy = { ...policy, targets: target ? [target] : policy.targets, schedule: null, stateDir: policy.stateDir || opts.stateDir };
  // Expectations were written for the policy's own targets; keep those that still apply.
  const run = await runPolicyOnce(aimed, { stateDir: aimed.stateDir });
  return { policy: action.policy, target, run };
}
