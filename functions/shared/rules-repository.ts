import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors';
import { keys } from '../../core/keys';
import { readFileSync } from 'node:fs';
import { parseScoringRules, type ScoringRules } from '../../core/scoring';
import { documents, putIfAbsentWith, tableEnv } from './table';

/** Rules change rarely; a container re-reads the active version at most this often. */
const RULES_CACHE_MS = 10_000;
let cached: { rules: ScoringRules; expires: number } | undefined;

/**
 * The rules shipped with leadflow, for a table where none were published yet. Every function's
 * bundle carries them as a file (LeadflowFunction copies it), read only when needed, so they add
 * nothing to the code a cold start loads; run from the sources, the file is read from core/.
 */
let shipped: ScoringRules | undefined;
function shippedRules(): ScoringRules {
  if (!shipped) {
    const beside = new URL('./default-rules.json', import.meta.url);
    const source = new URL('../../core/scoring/default-rules.json', import.meta.url);
    let text: string;
    try {
      text = readFileSync(beside, 'utf8');
    } catch {
      text = readFileSync(source, 'utf8');
    }
    shipped = parseScoringRules(JSON.parse(text));
  }
  return shipped;
}

/** The published rules version, or the shipped defaults before anything was published. */
export async function getActiveRules(options: { fresh?: boolean } = {}): Promise<ScoringRules> {
  if (!options.fresh && cached && cached.expires > Date.now()) return cached.rules;
  const { Item } = await documents.send(
    new GetCommand({ TableName: tableEnv.TABLE_NAME, Key: keys.activeRules(), ConsistentRead: options.fresh }),
  );
  const rules = Item ? parseScoringRules(Item.document) : shippedRules();
  cached = { rules, expires: Date.now() + RULES_CACHE_MS };
  return rules;
}

/** Publishes a validated rules document as the active version; a version is never overwritten. */
export async function publishRules(rules: ScoringRules, publishedBy: string, now: Date): Promise<void> {
  const at = now.toISOString();
  const published = await putIfAbsentWith({ ...keys.rulesVersion(rules.version), document: rules, publishedBy, publishedAt: at }, [
    { ...keys.activeRules(), version: rules.version, document: rules, publishedBy, publishedAt: at },
  ]);
  if (!published) {
    throw new ConflictError(
      'rules_version_exists',
      `rules version ${rules.version} was already published; give the new document a new version`,
    );
  }
  cached = undefined;
}
