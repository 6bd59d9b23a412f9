import defaultRulesDocument from './default-rules.json';
import { parseScoringRules, type ScoringRules } from './rules-schema';

/**
 * The rules shipped with leadflow, validated at module load so a bad edit to the JSON fails the
 * first import (and every test) instead of the first lead. Pure: a bundle that does not use them
 * leaves the document out (the functions read it from a file shipped beside their code).
 */
export const defaultScoringRules: ScoringRules = /* @__PURE__ */ parseScoringRules(defaultRulesDocument);
