// Every luna command, in the order --help lists them. Each module owns one command.
import type { Command } from 'commander';
import { register as registerCheck } from './check.ts';
import { register as registerFmt } from './fmt.ts';
import { register as registerTest } from './test.ts';
import { register as registerExplain } from './explain.ts';
import { register as registerEval } from './eval.ts';
import { register as registerCompile } from './compile.ts';
import { register as registerKeygen } from './keygen.ts';
import { register as registerSign } from './sign.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerInspect } from './inspect.ts';
import { register as registerImport } from './import.ts';
import { register as registerExport } from './export.ts';
import { register as registerHunt } from './hunt.ts';
import { register as registerAgent } from './agent.ts';
import { register as registerScan } from './scan.ts';
import { register as registerDb } from './db.ts';
import { register as registerIngest } from './ingest.ts';
import { register as registerServe } from './serve.ts';
import { register as registerReport } from './report.ts';
import { register as registerDemo } from './demo.ts';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerCheck,
  registerFmt,
  registerTest,
  registerExplain,
  registerEval,
  registerCompile,
  registerKeygen,
  registerSign,
  registerVerify,
  registerInspect,
  registerImport,
  registerExport,
  registerHunt,
  registerAgent,
  registerScan,
  registerDb,
  registerIngest,
  registerServe,
  registerReport,
  registerDemo,
];
