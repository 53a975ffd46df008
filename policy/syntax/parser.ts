// The .luna grammar as a Chevrotain CstParser with error recovery, so one pass reports every
// syntax error. The grammar (EBNF in docs/language.md):
//   file        := item*
//   item        := policyHeader | defaultDecl | configDecl | listDecl | macroDecl | ruleDecl
//                | correlationDecl | testDecl
//   condition   := andExpr ('or' andExpr)*          (precedence: or < and < not < primary)
//   andExpr     := notExpr ('and' notExpr)*
//   notExpr     := 'not' notExpr | primary
//   primary     := '(' condition ')' | 'true' | 'false' | 'exists' '(' name ')'
//                | '*' compareRest | fieldRef compareRest?      (no compareRest: macro reference)

import { CstParser, EOF, tokenMatcher, type IToken, type TokenType, type IParserErrorMessageProvider } from 'chevrotain';
import * as T from './lexer.ts';

/** Human names of grammar rules, for "expected X in Y" messages. */
export const RULE_LABELS: Record<string, string> = {
  file: 'the policy file',
  policyHeader: 'the policy header',
  defaultDecl: 'a default declaration',
  configDecl: 'a config block',
  listDecl: 'a list declaration',
  macroDecl: 'a macro declaration',
  ruleDecl: 'a rule',
  ruleStatement: 'a rule body',
  exceptionDecl: 'an exception',
  exceptionRow: 'an exception row',
  actionList: 'an action list',
  action: 'an action',
  correlationDecl: 'a correlation',
  correlationStatement: 'a correlation body',
  testDecl: 'a test',
  testStatement: 'a test body',
  condition: 'a condition',
  andExpr: 'a condition',
  notExpr: 'a condition',
  primary: 'a condition',
  compareRest: 'a comparison',
  fieldRef: 'a field',
  value: 'a value',
  literal: 'a value',
  listLiteral: 'a list',
  nameList: 'a list of names',
  stringList: 'a list of strings',
  idList: 'a list of rule ids',
  jsonValue: 'a value',
  jsonObject: 'an object',
  name: 'a name',
  str: 'a string',
};

function describeToken(t: IToken | undefined): string {
  if (!t || t.tokenType === EOF) return 'the end of the file';
  const img = t.image.length > 30 ? `${t.image.slice(0, 27)}...` : t.image;
  return `'${img}'`;
}
function label(tt: TokenType): string {
  return tt.LABEL ?? tt.name;
}
function joinAlternatives(words: string[]): string {
  const uniq = [...new Set(words)];
  if (uniq.length <= 1) return uniq[0] ?? 'something else';
  const shown = uniq.slice(0, 8);
  const more = uniq.length > shown.length ? ', …' : '';
  return `${shown.slice(0, -1).join(', ')}${more} or ${shown[shown.length - 1]}`;
}

/**
 * The token stream being parsed, so messages can name the token really before the error
 * (Chevrotain's `previous` is read after its own recovery has moved on).
 */
let currentTokens: IToken[] = [];
export function setMessageTokens(tokens: IToken[]): void {
  currentTokens = tokens;
}
function tokenBefore(actual: IToken | undefined, fallback: IToken | undefined): IToken | undefined {
  if (!actual || Number.isNaN(actual.startOffset) || actual.tokenType === EOF) return currentTokens[currentTokens.length - 1] ?? fallback;
  let lo = 0;
  let hi = currentTokens.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (currentTokens[mid].startOffset < actual.startOffset) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best >= 0 ? currentTokens[best] : undefined;
}
const ENDS_A_VALUE = new Set(['DString', 'RawString', 'SString', 'Number', 'Regex', 'RParen', 'RBracket', 'Ident', 'BacktickIdent', 'K_true', 'K_false', 'K_null']);

/** Messages in the shape "expected X after Y, found Z" — never Chevrotain's token-path dumps. */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    const prev = tokenBefore(actual, previous);
    const after = prev && prev.image ? ` after ${describeToken(prev)}` : '';
    if (expected === T.RBrace && (ruleName === 'ruleDecl' || ruleName === 'testDecl' || ruleName === 'correlationDecl')) {
      const what = ruleName === 'ruleDecl' ? 'a rule statement (when, level, action, tags, …)' : ruleName === 'testDecl' ? "'event' or 'expect'" : 'a correlation statement (type, rules, timespan, condition, …)';
      // Two conditions side by side: the classic missing `and`.
      const hint = ruleName === 'ruleDecl' && prev && ENDS_A_VALUE.has(prev.tokenType.name) && actual && (tokenMatcher(actual, T.Ident) || tokenMatcher(actual, T.LParen) || tokenMatcher(actual, T.Not)) && !isStatementStart(actual)
        ? " (to combine conditions, join them with 'and' / 'or')"
        : ruleName === 'testDecl' && prev && tokenMatcher(prev, T.Ident) && actual && tokenMatcher(actual, T.Ident) ? ' (separate rule ids with commas)' : '';
      const upper = actual && /^(AND|OR|NOT|And|Or|Not|IN|In)$/.test(actual.image) ? ` (keywords are lowercase: write '${actual.image.toLowerCase()}')` : '';
      return `expected '}' or ${what}${after}, found ${describeToken(actual)}${upper || hint}`;
    }
    return `expected ${label(expected)}${after} in ${RULE_LABELS[ruleName] ?? ruleName}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }) {
    if (ruleName === 'condition') return `unexpected ${describeToken(firstRedundant)} after the end of the condition: join conditions with 'and' / 'or'`;
    if (ruleName === 'actionList') return `unexpected ${describeToken(firstRedundant)} after the action: separate actions with commas, e.g. alert high, kill`;
    if (ruleName !== 'file') return `unexpected ${describeToken(firstRedundant)} after ${RULE_LABELS[ruleName] ?? ruleName}`;
    return `unexpected ${describeToken(firstRedundant)}: expected policy, list, macro, rule, correlation, test or default`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => (path[0] ? label(path[0]) : 'the end')));
    const prev = tokenBefore(actual[0], previous);
    const after = prev && prev.image ? ` after ${describeToken(prev)}` : '';
    // In a comparison the only wide choice is the value after the operator.
    const what = ruleName === 'compareRest' ? 'a value' : RULE_LABELS[ruleName];
    const a0 = actual[0];
    if (what === 'a condition' && a0 && (tokenMatcher(a0, T.DString) || tokenMatcher(a0, T.SString) || tokenMatcher(a0, T.RawString))) {
      return `expected a condition${after}, found the string ${describeToken(a0)}: a condition compares a field (Image == ${a0.image}); to search every field write * contains ${a0.image}`;
    }
    // Long alternative lists read worse than the name of the thing that was expected.
    if (new Set(firsts).size > 4 && what) return `expected ${what}${after}, found ${describeToken(actual[0])}`;
    return `expected ${joinAlternatives(firsts)}${after} in ${RULE_LABELS[ruleName] ?? ruleName}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, previous, ruleName }) {
    const firsts = expectedIterationPaths.map((path) => (path[0] ? label(path[0]) : 'the end'));
    const prev = tokenBefore(actual[0], previous);
    const after = prev && prev.image ? ` after ${describeToken(prev)}` : '';
    return `expected at least one ${joinAlternatives(firsts)}${after} in ${RULE_LABELS[ruleName] ?? ruleName}, found ${describeToken(actual[0])}`;
  },
};

export class LunaParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: true, nodeLocationTracking: 'full', errorMessageProvider: errorMessages, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.item));
  });

  item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.policyHeader) },
      { ALT: () => this.SUBRULE(this.defaultDecl) },
      { ALT: () => this.SUBRULE(this.configDecl) },
      { ALT: () => this.SUBRULE(this.listDecl) },
      { ALT: () => this.SUBRULE(this.macroDecl) },
      { ALT: () => this.SUBRULE(this.ruleDecl) },
      { ALT: () => this.SUBRULE(this.correlationDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ]);
  });

  // policy "name" version "1.0.0" engine ">=0.1" description "…"
  policyHeader = this.RULE('policyHeader', () => {
    this.CONSUME(T.PolicyKw);
    this.SUBRULE(this.str, { LABEL: 'name' });
    this.MANY(() => {
      this.OR([
        { ALT: () => { this.CONSUME(T.VersionKw); this.SUBRULE2(this.str, { LABEL: 'version' }); } },
        { ALT: () => { this.CONSUME(T.EngineKw); this.SUBRULE3(this.str, { LABEL: 'engine' }); } },
        { ALT: () => { this.CONSUME(T.DescriptionKw); this.SUBRULE4(this.str, { LABEL: 'description' }); } },
      ]);
    });
  });

  // default ProcessCreate, NetworkConnect log
  defaultDecl = this.RULE('defaultDecl', () => {
    this.CONSUME(T.DefaultKw);
    this.SUBRULE(this.name, { LABEL: 'types' });
    this.MANY(() => { this.CONSUME(T.Comma); this.SUBRULE2(this.name, { LABEL: 'types' }); });
    this.SUBRULE3(this.name, { LABEL: 'verdict' });
  });

  configDecl = this.RULE('configDecl', () => {
    this.CONSUME(T.ConfigKw);
    this.SUBRULE(this.jsonObject);
  });

  listDecl = this.RULE('listDecl', () => {
    this.CONSUME(T.ListKw);
    this.SUBRULE(this.name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.listLiteral);
  });

  macroDecl = this.RULE('macroDecl', () => {
    this.CONSUME(T.MacroKw);
    this.SUBRULE(this.name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.condition);
  });

  // rule ID "title" on Type, Type { statements }
  ruleDecl = this.RULE('ruleDecl', () => {
    this.CONSUME(T.RuleKw);
    this.SUBRULE(this.ruleId, { LABEL: 'id' });
    this.OPTION(() => this.SUBRULE(this.str, { LABEL: 'title' }));
    this.CONSUME(T.OnKw);
    this.SUBRULE(this.name, { LABEL: 'types' });
    this.MANY(() => { this.CONSUME(T.Comma); this.SUBRULE2(this.name, { LABEL: 'types' }); });
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.SUBRULE(this.ruleStatement));
    this.CONSUME(T.RBrace);
  });

  ruleId = this.RULE('ruleId', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.SUBRULE(this.str) }]);
  });

  ruleStatement = this.RULE('ruleStatement', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.TitleKw); this.SUBRULE(this.str, { LABEL: 'title' }); } },
      { ALT: () => { this.CONSUME(T.DescriptionKw); this.SUBRULE2(this.str, { LABEL: 'description' }); } },
      { ALT: () => { this.CONSUME(T.AuthorKw); this.SUBRULE3(this.str, { LABEL: 'author' }); } },
      { ALT: () => { this.CONSUME(T.LevelKw); this.SUBRULE(this.name, { LABEL: 'level' }); } },
      { ALT: () => { this.CONSUME(T.StatusKw); this.SUBRULE2(this.name, { LABEL: 'status' }); } },
      { ALT: () => { this.CONSUME(T.TagsKw); this.SUBRULE(this.nameList, { LABEL: 'tags' }); } },
      { ALT: () => { this.CONSUME(T.ReferencesKw); this.SUBRULE(this.stringList, { LABEL: 'references' }); } },
      { ALT: () => { this.CONSUME(T.RuleNameKw); this.SUBRULE4(this.str, { LABEL: 'ruleName' }); } },
      { ALT: () => { this.CONSUME(T.EnabledKw); this.SUBRULE(this.bool, { LABEL: 'enabled' }); } },
      { ALT: () => { this.CONSUME(T.WhenKw); this.SUBRULE(this.condition, { LABEL: 'when' }); } },
      { ALT: () => this.SUBRULE(this.exceptionDecl) },
      { ALT: () => { this.CONSUME(T.ActionKw); this.SUBRULE(this.actionList); } },
      { ALT: () => { this.CONSUME(T.OutputKw); this.SUBRULE5(this.str, { LABEL: 'output' }); } },
      { ALT: () => { this.CONSUME(T.MetaKw); this.SUBRULE(this.jsonObject, { LABEL: 'meta' }); } },
    ]);
  });

  bool = this.RULE('bool', () => {
    this.OR([{ ALT: () => this.CONSUME(T.True) }, { ALT: () => this.CONSUME(T.False) }]);
  });

  // except name (Field, Field op, …) { (v, v), (v, v) }
  exceptionDecl = this.RULE('exceptionDecl', () => {
    this.CONSUME(T.ExceptKw);
    this.SUBRULE(this.name);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.exceptionField);
    this.MANY(() => { this.CONSUME(T.Comma); this.SUBRULE2(this.exceptionField); });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY2(() => {
      this.SUBRULE(this.exceptionRow);
      this.OPTION(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  exceptionField = this.RULE('exceptionField', () => {
    this.SUBRULE(this.fieldName);
    this.OPTION(() => this.CONSUME(T.CompareOperator));
  });

  exceptionRow = this.RULE('exceptionRow', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.value);
          this.MANY(() => { this.CONSUME(T.Comma); this.SUBRULE2(this.value); });
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE3(this.value) },
    ]);
  });

  actionList = this.RULE('actionList', () => {
    this.SUBRULE(this.action);
    this.MANY(() => { this.CONSUME(T.Comma); this.SUBRULE2(this.action); });
  });

  // log | drop | alert [level] | block [mode] | kill | tag [names] | scan "policy" [target Field]
  action = this.RULE('action', () => {
    this.CONSUME(T.Ident, { LABEL: 'kind' });
    // `alert high` takes a word, but `action kill\n output …` must not eat the next statement.
    this.OPTION({
      GATE: () => !isStatementStart(this.LA(1)),
      DEF: () => {
        this.OR([
          { ALT: () => this.CONSUME2(T.Ident, { LABEL: 'arg' }) },
          { ALT: () => this.SUBRULE(this.nameList, { LABEL: 'tags' }) },
          { ALT: () => this.SUBRULE(this.str, { LABEL: 'policy' }) },
        ]);
      },
    });
    this.OPTION2(() => { this.CONSUME(T.TargetKw); this.SUBRULE(this.fieldName, { LABEL: 'target' }); });
  });

  correlationDecl = this.RULE('correlationDecl', () => {
    this.CONSUME(T.CorrelationKw);
    this.SUBRULE(this.ruleId, { LABEL: 'id' });
    this.OPTION(() => this.SUBRULE(this.str, { LABEL: 'title' }));
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.correlationStatement));
    this.CONSUME(T.RBrace);
  });

  correlationStatement = this.RULE('correlationStatement', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.TitleKw); this.SUBRULE(this.str, { LABEL: 'title' }); } },
      { ALT: () => { this.CONSUME(T.DescriptionKw); this.SUBRULE2(this.str, { LABEL: 'description' }); } },
      { ALT: () => { this.CONSUME(T.AuthorKw); this.SUBRULE3(this.str, { LABEL: 'author' }); } },
      { ALT: () => { this.CONSUME(T.LevelKw); this.SUBRULE(this.name, { LABEL: 'level' }); } },
      { ALT: () => { this.CONSUME(T.TagsKw); this.SUBRULE(this.nameList, { LABEL: 'tags' }); } },
      { ALT: () => { this.CONSUME(T.ReferencesKw); this.SUBRULE(this.stringList, { LABEL: 'references' }); } },
      { ALT: () => { this.CONSUME(T.TypeKw); this.SUBRULE2(this.name, { LABEL: 'type' }); } },
      { ALT: () => { this.CONSUME(T.RulesKw); this.SUBRULE(this.idList, { LABEL: 'rules' }); } },
      { ALT: () => { this.CONSUME(T.GroupByKw); this.SUBRULE2(this.nameList, { LABEL: 'groupBy' }); } },
      { ALT: () => { this.CONSUME(T.TimespanKw); this.SUBRULE(this.duration, { LABEL: 'timespan' }); } },
      {
        ALT: () => {
          this.CONSUME(T.ConditionKw);
          this.OPTION(() => { this.CONSUME(T.FieldKw); this.SUBRULE(this.fieldName, { LABEL: 'condField' }); });
          this.OPTION2(() => { this.CONSUME(T.PercentileKw); this.CONSUME(T.NumberLit, { LABEL: 'percentile' }); });
          this.CONSUME(T.CompareOperator, { LABEL: 'condOp' });
          this.CONSUME2(T.NumberLit, { LABEL: 'condValue' });
        },
      },
      { ALT: () => { this.CONSUME(T.AliasesKw); this.SUBRULE(this.jsonObject, { LABEL: 'aliases' }); } },
      { ALT: () => { this.CONSUME(T.GenerateKw); this.SUBRULE(this.bool, { LABEL: 'generate' }); } },
      { ALT: () => { this.CONSUME(T.ActionKw); this.SUBRULE(this.actionList); } },
    ]);
  });

  duration = this.RULE('duration', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Duration) }, { ALT: () => this.CONSUME(T.NumberLit) }]);
  });

  // test "name" on Type { event { … } expect … }
  testDecl = this.RULE('testDecl', () => {
    this.CONSUME(T.TestKw);
    this.SUBRULE(this.str, { LABEL: 'name' });
    this.CONSUME(T.OnKw);
    this.SUBRULE(this.name, { LABEL: 'type' });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.testStatement));
    this.CONSUME(T.RBrace);
  });

  testStatement = this.RULE('testStatement', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.EventKw); this.SUBRULE(this.jsonObject, { LABEL: 'event' }); } },
      {
        ALT: () => {
          this.CONSUME(T.ExpectKw);
          this.OR2([
            {
              ALT: () => {
                this.CONSUME(T.MatchKw);
                this.SUBRULE(this.idList, { LABEL: 'match' });
                this.OPTION(() => { this.CONSUME(T.ActionsKw); this.SUBRULE(this.nameList, { LABEL: 'actions' }); });
              },
            },
            { ALT: () => { this.CONSUME(T.NoKw); this.CONSUME2(T.MatchKw); this.SUBRULE2(this.idList, { LABEL: 'noMatch' }); } },
            { ALT: () => this.CONSUME(T.NoneKw) },
            { ALT: () => { this.CONSUME2(T.ActionsKw); this.SUBRULE2(this.nameList, { LABEL: 'actions' }); } },
          ]);
        },
      },
    ]);
  });

  // ids: A, B, "uuid", *
  idList = this.RULE('idList', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.LBracket); this.OPTION(() => this.SUBRULE(this.idItems)); this.CONSUME(T.RBracket); } },
      { ALT: () => this.SUBRULE2(this.idItems) },
    ]);
  });

  idItems = this.RULE('idItems', () => {
    this.SUBRULE(this.idItem);
    this.MANY(() => { this.CONSUME(T.Comma); this.SUBRULE2(this.idItem); });
  });

  idItem = this.RULE('idItem', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.SUBRULE(this.ruleId) }]);
  });

  // ---- conditions ----
  condition = this.RULE('condition', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => { this.CONSUME(T.Or); this.SUBRULE2(this.andExpr); });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => { this.CONSUME(T.And); this.SUBRULE2(this.notExpr); });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.Not); this.SUBRULE(this.notExpr); } },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.LParen); this.SUBRULE(this.condition); this.CONSUME(T.RParen); } },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => { this.CONSUME(T.Exists); this.CONSUME2(T.LParen); this.SUBRULE(this.fieldName); this.CONSUME2(T.RParen); } },
      { ALT: () => { this.CONSUME(T.Star); this.SUBRULE(this.compareRest, { LABEL: 'keyword' }); } },
      {
        ALT: () => {
          this.SUBRULE(this.fieldRef);
          this.OPTION(() => this.SUBRULE2(this.compareRest));
        },
      },
    ]);
  });

  // Field, `odd field`, or hour(UtcTime) (time part of a timestamp field)
  // (Tokens are consumed inline rather than through `fieldName`: fewer CST nodes per comparison.)
  fieldRef = this.RULE('fieldRef', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Ident, { LABEL: 'outer' }) }, { ALT: () => this.CONSUME(T.BacktickIdent, { LABEL: 'outer' }) }]);
    this.OPTION(() => { this.CONSUME(T.LParen); this.SUBRULE2(this.fieldName, { LABEL: 'inner' }); this.CONSUME(T.RParen); });
  });

  fieldName = this.RULE('fieldName', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.CONSUME(T.BacktickIdent) }]);
  });

  // [not] op [cased] [any|all] values
  compareRest = this.RULE('compareRest', () => {
    this.OPTION(() => this.CONSUME(T.Not));
    this.CONSUME(T.CompareOperator, { LABEL: 'op' });
    this.OPTION2(() => this.CONSUME(T.Cased));
    // valueSpec, inline (one CST node less per comparison).
    this.OPTION3(() => {
      this.OR([{ ALT: () => this.CONSUME(T.AnyKw) }, { ALT: () => this.CONSUME(T.AllKw) }]);
    });
    this.OR2([{ ALT: () => this.SUBRULE(this.listLiteral) }, { ALT: () => this.SUBRULE(this.value) }]);
  });

  listLiteral = this.RULE('listLiteral', () => {
    this.CONSUME(T.LBracket);
    this.OPTION9(() => {
      this.SUBRULE(this.value);
      // A trailing comma before the closing bracket is allowed.
      this.MANY9({ GATE: () => this.LA(2).tokenType !== T.RBracket, DEF: () => { this.CONSUME9(T.Comma); this.SUBRULE9(this.value); } });
      this.OPTION8(() => this.CONSUME8(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  // A value: literal, /regex/, field(Other), or a list name.
  // Literal tokens are consumed inline (not via `literal`/`str`): values are the most frequent
  // node, and every CST level costs allocation.
  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.DString) },
      { ALT: () => this.CONSUME(T.RawString) },
      { ALT: () => this.CONSUME(T.SString) },
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Regex) },
      { ALT: () => { this.CONSUME(T.FieldKw); this.CONSUME(T.LParen); this.SUBRULE(this.fieldName); this.CONSUME(T.RParen); } },
      { ALT: () => this.CONSUME(T.Ident, { LABEL: 'listRef' }) },
      { ALT: () => this.CONSUME(T.BacktickIdent, { LABEL: 'listRef' }) },
    ]);
  });

  literal = this.RULE('literal', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.str) },
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
    ]);
  });

  str = this.RULE('str', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.DString) },
      { ALT: () => this.CONSUME(T.RawString) },
      { ALT: () => this.CONSUME(T.SString) },
    ]);
  });

  name = this.RULE('name', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.CONSUME(T.BacktickIdent) }]);
  });

  // [a, b] or a single name
  nameList = this.RULE('nameList', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.OPTION9(() => {
            this.SUBRULE(this.nameOrString);
            // A trailing comma before the closing bracket is allowed.
            this.MANY9({ GATE: () => this.LA(2).tokenType !== T.RBracket, DEF: () => { this.CONSUME9(T.Comma); this.SUBRULE9(this.nameOrString); } });
            this.OPTION8(() => this.CONSUME8(T.Comma));
          });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  nameOrString = this.RULE('nameOrString', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.name) }, { ALT: () => this.SUBRULE(this.str) }]);
  });

  stringList = this.RULE('stringList', () => {
    this.CONSUME(T.LBracket);
    this.OPTION9(() => {
      this.SUBRULE(this.str);
      // A trailing comma before the closing bracket is allowed.
      this.MANY9({ GATE: () => this.LA(2).tokenType !== T.RBracket, DEF: () => { this.CONSUME9(T.Comma); this.SUBRULE9(this.str); } });
      this.OPTION8(() => this.CONSUME8(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  // JSON-like data: { key: value, … } with names or strings as keys; commas optional.
  jsonObject = this.RULE('jsonObject', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.jsonKey);
      this.CONSUME(T.Colon);
      this.SUBRULE(this.jsonValue);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  jsonKey = this.RULE('jsonKey', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.name) }, { ALT: () => this.SUBRULE(this.str) }]);
  });

  jsonValue = this.RULE('jsonValue', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.jsonObject) },
      { ALT: () => this.SUBRULE(this.jsonArray) },
      { ALT: () => this.SUBRULE(this.name, { LABEL: 'bare' }) },
    ]);
  });

  jsonArray = this.RULE('jsonArray', () => {
    this.CONSUME(T.LBracket);
    this.OPTION9(() => {
      this.SUBRULE(this.jsonValue);
      // A trailing comma before the closing bracket is allowed.
      this.MANY9({ GATE: () => this.LA(2).tokenType !== T.RBracket, DEF: () => { this.CONSUME9(T.Comma); this.SUBRULE9(this.jsonValue); } });
      this.OPTION8(() => this.CONSUME8(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });
}

/** Tokens that begin a rule statement or top-level item: an action argument never is one. */
const STATEMENT_STARTS = new Set<TokenType>([
  T.TitleKw, T.DescriptionKw, T.AuthorKw, T.LevelKw, T.StatusKw, T.TagsKw, T.ReferencesKw, T.RuleNameKw, T.EnabledKw,
  T.WhenKw, T.ExceptKw, T.ActionKw, T.OutputKw, T.MetaKw, T.RuleKw, T.ListKw, T.MacroKw, T.TestKw, T.PolicyKw,
  T.DefaultKw, T.CorrelationKw, T.ConfigKw, T.TypeKw, T.RulesKw, T.GroupByKw, T.TimespanKw, T.ConditionKw, T.AliasesKw,
  T.GenerateKw, T.TargetKw,
]);
function isStatementStart(t: IToken): boolean {
  return STATEMENT_STARTS.has(t.tokenType);
}

let shared: LunaParser | undefined;
/** One parser instance (self-analysis is costly); reset by setting `input`. */
export function lunaParser(): LunaParser {
  shared ??= new LunaParser();
  return shared;
}
