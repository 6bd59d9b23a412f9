/**
 * Leads scored per second by the pure scoring engine with the default rules, beside two
 * baselines in the same run: a structured copy of each lead (JSON round trip) and the engine
 * with an empty rules document (its fixed cost). Prints figures; asserts nothing.
 */
import {
  defaultScoringRules,
  engagementEventTypes,
  parseScoringRules,
  scoreLead,
  type EngagementEvent,
  type ScorableLead,
} from '../core/scoring';
import { sampleDomains, sampleProfile } from './generate';
import { seededRandom } from '../local/seeded-random';

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const ROUNDS = 3;
const now = new Date('2026-11-26T12:00:00.000Z');

const { next, pick } = seededRandom(42);

function generateLead(i: number): { lead: ScorableLead; events: EngagementEvent[] } {
  const lead: ScorableLead = {
    email: `person${i}@${pick(sampleDomains)}`,
    source: pick(['google', 'linkedin', 'direct']),
    customFields: {},
    profile: sampleProfile(i, pick),
  };
  const events = Array.from({ length: 2 + Math.floor(next() * 5) }, (): EngagementEvent => {
    const type = pick(engagementEventTypes);
    const at = new Date(now.getTime() - next() * 90 * 86_400_000).toISOString();
    return type === 'page_visit' ? { type, at, properties: { path: pick(['/pricing', '/blog/x', '/']) } } : { type, at };
  });
  return { lead, events };
}

const inputs = Array.from({ length: LEADS }, (_, i) => generateLead(i));
const eventCount = inputs.reduce((sum, { events }) => sum + events.length, 0);
const emptyRules = parseScoringRules({ ...defaultScoringRules, version: 'empty', rules: [] });

let sink = 0;
const candidates = {
  'baseline  JSON copy of lead + events': () => {
    for (const input of inputs) sink += (JSON.parse(JSON.stringify(input)) as typeof input).events.length;
  },
  'baseline  scoreLead, empty rules     ': () => {
    for (const { lead, events } of inputs) sink += scoreLead(lead, events, emptyRules, now).total;
  },
  'leadflow  scoreLead, default rules   ': () => {
    for (const { lead, events } of inputs) sink += scoreLead(lead, events, defaultScoringRules, now).total;
  },
};

function leadsPerSecond(run: () => void): number {
  const started = performance.now();
  run();
  return LEADS / ((performance.now() - started) / 1000);
}

// Warm up every candidate, then alternate them so none gets a quieter machine; report the best round.
for (const run of Object.values(candidates)) leadsPerSecond(run);
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(candidates)) best.set(name, Math.max(best.get(name) ?? 0, leadsPerSecond(run)));
}

console.log(
  `scoring engine benchmark: ${LEADS} generated leads, ${eventCount} events (${(eventCount / LEADS).toFixed(1)} per lead), ` +
    `${defaultScoringRules.rules.length} default rules, best of ${ROUNDS} rounds, Node ${process.version}`,
);
for (const [name, rate] of best) {
  console.log(
    `  ${name}  ${Math.round(rate).toLocaleString('en-US').padStart(10)} leads/s  ${(1e6 / rate).toFixed(2).padStart(7)} µs/lead`,
  );
}
const scoring = best.get('leadflow  scoreLead, default rules   ');
if (scoring === undefined) throw new Error('no figure for the default rules');
console.log(`  rescoring 1,000,000 leads with the default rules takes about ${(1e6 / scoring).toFixed(1)} s on one core`);
if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // keeps the loops from being optimized away
