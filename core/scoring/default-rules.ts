import defaultRulesDocument from './default-rules.json';
import { parseScoringRules, type ScoringRules } from './rules-schema';

/**
 * The rules shipped with leadflow, validated at module load so a bad edit to the JSON fails the
 * first import (and every test) instead of the first lead.
 */
export const defaultScoringRules: ScoringRules = parseScoringRules(defaultRulesDocument);
