// Tokens of the .luna language. Two kinds of keywords:
// - reserved words of the condition language (and, or, not, contains, …) can never be names;
// - statement keywords (rule, level, tags, …) are "soft": they carry the Ident category, so
//   they still work as field, list or macro names (LinuxEvent `type`, ScanChange `policy`).
// Chevrotain picks the longest match, keywords use `longer_alt: Ident` so `levels` is a name.

import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\uFEFF]+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: 'LineComment', pattern: /(?:#|\/\/)[^\n\r]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });
// An unclosed block comment would otherwise lex as punctuation: catch it to report it.
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, line_breaks: true, label: 'an unterminated comment' });

export const Ident = createToken({ name: 'Ident', pattern: /[A-Za-z_][A-Za-z0-9_]*(?:[.\-][A-Za-z0-9_]+)*/, label: 'a name' });
export const BacktickIdent = createToken({ name: 'BacktickIdent', pattern: /`[^`\n\r]+`/, label: 'a `quoted name`' });

export const RawString = createToken({ name: 'RawString', pattern: /r"[^"\n\r]*"/, label: 'a string' });
export const DString = createToken({ name: 'DString', pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/, label: 'a string' });
export const SString = createToken({ name: 'SString', pattern: /'(?:[^'\n\r]|'')*'/, label: 'a string' });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /r?"(?:[^"\\\n\r]|\\[^\n\r])*|'(?:[^'\n\r]|'')*/, label: 'an unterminated string' });
export const Regex = createToken({ name: 'Regex', pattern: /\/(?:[^/\\\n\r]|\\[^\n\r])+\/[A-Za-z]*/, label: 'a /regex/' });
// Without these, a failed match would be retried at every following character (quadratic on
// hostile input): an unclosed regex or quoted name is one error token up to the end of the line.
export const UnterminatedRegex = createToken({ name: 'UnterminatedRegex', pattern: /\/(?:[^/\\\n\r]|\\[^\n\r])*\\?/, label: 'an unterminated /regex/' });
export const UnterminatedBacktick = createToken({ name: 'UnterminatedBacktick', pattern: /`[^`\n\r]*/, label: 'an unterminated `quoted name`' });

export const Duration = createToken({ name: 'Duration', pattern: /\d+(?:ms|s|m|h|d|w)(?![A-Za-z0-9_])/, label: 'a duration (e.g. 5m)' });
// No lookahead here: a number that fails on the letter after it would be retried at every
// following digit. `12abc` lexes as 12 then abc, and the parser reports the name.
export const NumberLit = createToken({ name: 'Number', pattern: /-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/, label: 'a number' });

export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });

// Comparison operators (categories let the parser accept "any operator" in one place).
export const CompareOperator = createToken({ name: 'CompareOperator', pattern: Lexer.NA, label: 'an operator' });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: "'=='", categories: [CompareOperator] });
export const RegexOp = createToken({ name: 'RegexOp', pattern: /=~/, label: "'=~'", categories: [CompareOperator] });
export const NotRegexOp = createToken({ name: 'NotRegexOp', pattern: /!~/, label: "'!~'", categories: [CompareOperator] });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='", categories: [CompareOperator] });
export const Le = createToken({ name: 'Le', pattern: /<=/, label: "'<='", categories: [CompareOperator] });
export const Ge = createToken({ name: 'Ge', pattern: />=/, label: "'>='", categories: [CompareOperator] });
export const Lt = createToken({ name: 'Lt', pattern: /</, label: "'<'", categories: [CompareOperator] });
export const Gt = createToken({ name: 'Gt', pattern: />/, label: "'>'", categories: [CompareOperator] });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='", categories: [CompareOperator] });
// Other languages' connectives: reported, then read as and / or / not so parsing goes on.
export const ForeignAnd = createToken({ name: 'ForeignAnd', pattern: /&&?/, label: "'&&'" });
export const ForeignOr = createToken({ name: 'ForeignOr', pattern: /\|\|?/, label: "'||'" });
export const ForeignNot = createToken({ name: 'ForeignNot', pattern: /!/, label: "'!'" });

function reserved(word: string, extra: TokenType[] = []): TokenType {
  return createToken({ name: `K_${word}`, pattern: new RegExp(word), longer_alt: Ident, label: `'${word}'`, categories: extra });
}
function soft(word: string): TokenType {
  return createToken({ name: `S_${word}`, pattern: new RegExp(word), longer_alt: Ident, label: `'${word}'`, categories: [Ident] });
}

// Reserved words of conditions.
export const And = reserved('and');
export const Or = reserved('or');
export const Not = reserved('not');
export const In = reserved('in', [CompareOperator]);
export const Contains = reserved('contains', [CompareOperator]);
export const StartsWith = reserved('startswith', [CompareOperator]);
export const EndsWith = reserved('endswith', [CompareOperator]);
export const Matches = reserved('matches', [CompareOperator]);
export const Cidr = reserved('cidr', [CompareOperator]);
export const Bitand = reserved('bitand', [CompareOperator]);
export const Exists = reserved('exists');
export const FieldKw = reserved('field');
export const AnyKw = reserved('any');
export const AllKw = reserved('all');
export const Cased = reserved('cased');
export const True = reserved('true');
export const False = reserved('false');
export const Null = reserved('null');

// Statement keywords (soft).
export const PolicyKw = soft('policy');
export const VersionKw = soft('version');
export const EngineKw = soft('engine');
export const DescriptionKw = soft('description');
export const DefaultKw = soft('default');
export const ConfigKw = soft('config');
export const ListKw = soft('list');
export const MacroKw = soft('macro');
export const RuleKw = soft('rule');
export const OnKw = soft('on');
export const TitleKw = soft('title');
export const WhenKw = soft('when');
export const ExceptKw = soft('except');
export const ActionKw = soft('action');
export const ActionsKw = soft('actions');
export const OutputKw = soft('output');
export const TestKw = soft('test');
export const EventKw = soft('event');
export const ExpectKw = soft('expect');
export const MatchKw = soft('match');
export const NoKw = soft('no');
export const NoneKw = soft('none');
export const LevelKw = soft('level');
export const AuthorKw = soft('author');
export const TagsKw = soft('tags');
export const ReferencesKw = soft('references');
export const StatusKw = soft('status');
export const RuleNameKw = soft('rule_name');
export const EnabledKw = soft('enabled');
export const MetaKw = soft('meta');
export const CorrelationKw = soft('correlation');
export const TypeKw = soft('type');
export const RulesKw = soft('rules');
export const GroupByKw = soft('group_by');
export const TimespanKw = soft('timespan');
export const ConditionKw = soft('condition');
export const AliasesKw = soft('aliases');
export const GenerateKw = soft('generate');
export const TargetKw = soft('target');
export const PercentileKw = soft('percentile');

const KEYWORDS = [
  And, Or, Not, In, Contains, StartsWith, EndsWith, Matches, Cidr, Bitand, Exists, FieldKw, AnyKw, AllKw, Cased, True, False, Null,
  PolicyKw, VersionKw, EngineKw, DescriptionKw, DefaultKw, ConfigKw, ListKw, MacroKw, RuleNameKw, RulesKw, RuleKw, OnKw, TitleKw,
  WhenKw, ExceptKw, ActionsKw, ActionKw, OutputKw, TestKw, EventKw, ExpectKw, MatchKw, NoneKw, NoKw, LevelKw, AuthorKw, TagsKw,
  ReferencesKw, StatusKw, EnabledKw, MetaKw, CorrelationKw, TypeKw, GroupByKw, TimespanKw, ConditionKw, AliasesKw,
  GenerateKw, TargetKw, PercentileKw,
];

/** Words that can never be a name (the formatter back-quotes names that collide). */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'not', 'in', 'contains', 'startswith', 'endswith', 'matches', 'cidr', 'bitand', 'exists', 'field', 'any',
  'all', 'cased', 'true', 'false', 'null',
]);

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, UnterminatedComment,
  RawString, // before Ident: r"…" is a string, not the name r
  ...KEYWORDS,
  Ident, BacktickIdent, UnterminatedBacktick, DString, SString, UnterminatedString, Regex, UnterminatedRegex,
  Duration, NumberLit,
  LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma, Colon, Star,
  EqEq, RegexOp, NotRegexOp, NotEq, Le, Ge, Lt, Gt, Equals,
  ForeignAnd, ForeignOr, ForeignNot,
  CompareOperator,
];

export const lunaLexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });
