import { fieldLabel, normalizeDomain, normalizeText, quote, readField, type ScorableLead } from './fields';
import { formatPoints } from './points';
import { REGEX_FLAGS, type FitRule } from './rules-schema';

/**
 * Free text longer than this is matched on its first characters only: it bounds the work an
 * admin-written pattern can do per lead (forms already cap the message at 5,000 characters).
 */
export const MAX_MATCHED_TEXT = 10_000;

/** What a fit rule contributes when it fires: raw points and the evidence for the reason. */
export interface FitMatch {
  points: number;
  evidence: string;
}

export type FitMatcher = (lead: ScorableLead) => FitMatch | undefined;

const opSymbols = { eq: '=', ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;

/** Turns a fit rule into a matcher once, so regexes and lookups are built once per rules document. */
export function compileFitRule(rule: FitRule): FitMatcher {
  const label = rule.kind === 'emailDomain' ? 'email domain' : fieldLabel(rule.field);
  switch (rule.kind) {
    case 'compare':
      return (lead) => {
        const raw = readField(lead, rule.field);
        if (raw === undefined) return undefined;
        const value = parseNumber(raw);
        if (value === undefined || !compare(value, rule.op, rule.value)) return undefined;
        return {
          points: rule.points,
          evidence: `${label} ${quote(raw)} ${opSymbols[rule.op]} ${rule.value}`,
        };
      };
    case 'range':
      return (lead) => {
        const raw = readField(lead, rule.field);
        if (raw === undefined) return undefined;
        const value = parseNumber(raw);
        if (value === undefined) return undefined;
        if (rule.gte !== undefined && value < rule.gte) return undefined;
        if (rule.lt !== undefined && value >= rule.lt) return undefined;
        return {
          points: rule.points,
          evidence: `${label} ${quote(raw)} is in [${rule.gte ?? '-∞'}, ${rule.lt ?? '∞'})`,
        };
      };
    case 'enum': {
      const pointsByValue = new Map(Object.entries(rule.pointsByValue).map(([value, points]) => [normalizeText(value), points]));
      return (lead) => {
        const raw = readField(lead, rule.field);
        if (raw === undefined) return undefined;
        const points = pointsByValue.get(normalizeText(raw));
        if (points === undefined) return undefined;
        return { points, evidence: `${label} is ${quote(raw)}` };
      };
    }
    case 'list': {
      const values = new Set(rule.values.map(normalizeText));
      return (lead) => {
        const raw = readField(lead, rule.field);
        if (raw === undefined || !values.has(normalizeText(raw))) return undefined;
        return { points: rule.points, evidence: `${label} ${quote(raw)} is listed` };
      };
    }
    case 'regex': {
      const pattern = new RegExp(rule.pattern, REGEX_FLAGS);
      return (lead) => {
        const raw = readField(lead, rule.field);
        const found = raw === undefined ? null : pattern.exec(matchableText(raw));
        if (!found) return undefined;
        return { points: rule.points, evidence: `${label} contains ${quote(found[0])}` };
      };
    }
    case 'keywords': {
      const keywords = rule.keywords.map((keyword) => ({ keyword, pattern: keywordPattern(keyword) }));
      return (lead) => {
        const raw = readField(lead, rule.field);
        if (raw === undefined) return undefined;
        const text = matchableText(raw);
        const found = keywords.filter(({ pattern }) => pattern.test(text)).map(({ keyword }) => keyword);
        if (found.length === 0) return undefined;
        const uncapped = found.length * rule.pointsPerKeyword;
        const points = Math.sign(uncapped) * Math.min(Math.abs(uncapped), rule.maxPoints);
        const capNote = points === uncapped ? '' : ` (capped at ${formatPoints(points)})`;
        return {
          points,
          evidence: `${label} mentions ${found.map((k) => JSON.stringify(k)).join(', ')}${capNote}`,
        };
      };
    }
    case 'emailDomain': {
      const domains = new Set(rule.domains.map(normalizeDomain));
      return (lead) => {
        const domain = readField(lead, 'emailDomain');
        if (domain === undefined) return undefined;
        const listed = listedParentDomain(domain, domains);
        if (listed === undefined) return undefined;
        const evidence = listed === domain ? `email domain is ${quote(domain)}` : `email domain ${quote(domain)} is under ${quote(listed)}`;
        return { points: rule.points, evidence };
      };
    }
  }
}

/** Strict: "250" and "1e3" are numbers, "250 people", "" and "Infinity" are not. */
function parseNumber(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw.trim());
  return Number.isFinite(value) ? value : undefined;
}

function compare(value: number, op: keyof typeof opSymbols, target: number): boolean {
  switch (op) {
    case 'eq':
      return value === target;
    case 'ne':
      return value !== target;
    case 'gt':
      return value > target;
    case 'gte':
      return value >= target;
    case 'lt':
      return value < target;
    case 'lte':
      return value <= target;
  }
}

function matchableText(raw: string): string {
  const text = raw.length > MAX_MATCHED_TEXT ? raw.slice(0, MAX_MATCHED_TEXT) : raw;
  return text.normalize('NFKC');
}

const wordChar = '[\\p{L}\\p{N}_]';

/** "lead scoring" matches "Lead  Scoring" but not "misleading scoring"; "automat*" matches "automation". */
export function keywordPattern(keyword: string): RegExp {
  const wildcard = keyword.endsWith('*');
  const words = normalizeText(wildcard ? keyword.slice(0, -1) : keyword)
    .split(/\s+/u)
    // Only syntax characters may be escaped in a `u` pattern (`\-` is an error there).
    .map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const ending = wildcard ? `${wordChar}*` : `(?!${wordChar})`;
  return new RegExp(`(?<!${wordChar})${words.join('\\s+')}${ending}`, REGEX_FLAGS);
}

/** The listed domain that `domain` equals or is a subdomain of ("eu.acme.com" is under "acme.com"). */
function listedParentDomain(domain: string, listed: ReadonlySet<string>): string | undefined {
  let candidate = domain;
  for (;;) {
    if (listed.has(candidate)) return candidate;
    const dot = candidate.indexOf('.');
    if (dot < 0) return undefined;
    candidate = candidate.slice(dot + 1);
  }
}
