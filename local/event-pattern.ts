/**
 * EventBridge-style content filtering, as Lambda event source mappings apply `FilterCriteria`
 * (a record passes when it matches any of the filters' patterns).
 *
 * Supported: exact values (strings, numbers, booleans, null) in arrays, nested objects, and the
 * matchers `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or
 * `{prefix}`), `numeric` (comparisons on numbers) and `exists`. An array in the event matches
 * when any of its elements matches. Anything else is rejected when the pattern is parsed.
 */

export type Pattern = { [key: string]: Pattern | Matcher[] };
type Matcher = string | number | boolean | null | { [operator: string]: unknown };

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

/** Parses `FilterCriteria.Filters[].Pattern` strings; throws on a pattern this module cannot evaluate. */
export function parseFilterPatterns(patterns: string[]): Pattern[] {
  return patterns.map((text) => {
    const pattern: unknown = JSON.parse(text);
    checkPattern(pattern, text);
    return pattern as Pattern;
  });
}

/** True when `patterns` is empty (no filtering) or the event matches one of them. */
export function matchesAnyPattern(patterns: Pattern[], event: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesPattern(pattern, event));
}

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = isRecord(event) ? event[key] : undefined;
    if (Array.isArray(expected)) return matchesField(expected, actual);
    if (Array.isArray(actual)) return actual.some((item) => matchesPattern(expected, item));
    return matchesPattern(expected, actual);
  });
}

function matchesField(matchers: Matcher[], actual: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((item) => matchesField(matchers, item));
  return matchers.some((matcher) => matchesOne(matcher, actual));
}

function matchesOne(matcher: Matcher, actual: unknown): boolean {
  if (!isRecord(matcher)) return actual !== undefined && matcher === actual;
  const [operator, operand] = Object.entries(matcher)[0] ?? [];
  if (operator === 'exists') return (actual !== undefined) === operand;
  if (actual === undefined) return false;
  switch (operator) {
    case 'prefix':
      return typeof actual === 'string' && actual.startsWith(operand as string);
    case 'suffix':
      return typeof actual === 'string' && actual.endsWith(operand as string);
    case 'equals-ignore-case':
      return typeof actual === 'string' && actual.toLowerCase() === (operand as string).toLowerCase();
    case 'anything-but':
      if (isRecord(operand)) return !matchesOne(operand, actual);
      return !(Array.isArray(operand) ? operand : [operand]).includes(actual);
    case 'numeric':
      return typeof actual === 'number' && numericMatches(operand as Array<string | number>, actual);
    default:
      return false;
  }
}

function numericMatches(conditions: Array<string | number>, value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const holds = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[conditions[i] as '=' | '<' | '<=' | '>' | '>='];
    if (!holds) return false;
  }
  return true;
}

function checkPattern(pattern: unknown, text: string): void {
  if (!isRecord(pattern)) throw new Error(`filter pattern must be a JSON object: ${text}`);
  for (const value of Object.values(pattern)) {
    if (Array.isArray(value)) {
      for (const matcher of value) {
        if (!isRecord(matcher)) continue;
        const operators = Object.keys(matcher);
        if (operators.length !== 1 || !OPERATORS.has(operators[0] ?? '')) {
          throw new Error(`unsupported filter matcher ${JSON.stringify(matcher)} in ${text}`);
        }
      }
    } else {
      checkPattern(value, text);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
