/** Deterministic test data for the benchmarks: the same inputs on every run, so runs compare. */

/** mulberry32, with a `pick` from a list. */
export function seededRandom(seed: number): { next: () => number; pick: <T>(values: readonly T[]) => T } {
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]! };
}

/** What landing-page leads write, from strong fits to students and competitors. */
export const sampleTitles = ['VP of Engineering', 'Head of Sales', 'CEO', 'Sales Manager', 'Marketing Intern', 'Software Engineer', 'Student', 'Director, RevOps'];
export const sampleMessages = [
  'Our pipeline reporting lives in spreadsheets; we need one place for it.',
  'Looking at CRM integration and forecasting for a 40-person sales team.',
  'Just browsing.',
  'Is there an internship? It is for my thesis.',
  'We want to automate follow-up emails and lead scoring before next quarter.',
];
export const sampleDomains = ['acme.example', 'gmail.com', 'northwind.example', 'competitor.example', 'outlook.com', 'contoso.example'];
