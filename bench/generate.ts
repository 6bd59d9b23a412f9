/** Deterministic test data for the benchmarks: the same inputs on every run, so runs compare. */
import type { Profile } from '../core/lead';

/** What landing-page leads write, from strong fits to students and competitors. */
export const sampleTitles = [
  'VP of Engineering',
  'Head of Sales',
  'CEO',
  'Sales Manager',
  'Marketing Intern',
  'Software Engineer',
  'Student',
  'Director, RevOps',
];
export const sampleMessages = [
  'Our pipeline reporting lives in spreadsheets; we need one place for it.',
  'Looking at CRM integration and forecasting for a 40-person sales team.',
  'Just browsing.',
  'Is there an internship? It is for my thesis.',
  'We want to automate follow-up emails and lead scoring before next quarter.',
];
export const sampleDomains = ['acme.example', 'gmail.com', 'northwind.example', 'competitor.example', 'outlook.com', 'contoso.example'];

/** The profile a B2B landing-page form collects, drawn from the samples. */
export function sampleProfile(i: number, pick: <T>(values: readonly T[]) => T): Profile {
  return {
    firstName: 'Ada',
    lastName: `Person ${i}`,
    company: `Company ${i % 5000}`,
    jobTitle: pick(sampleTitles),
    country: pick(['United States', 'Germany', 'Brazil', 'UK', 'India']),
    industry: pick(['Software', 'Financial services', 'Healthcare', 'Manufacturing', 'Retail', 'Education', 'Other']),
    companySize: pick(['1-10', '11-50', '51-200', '201-1000', '1000+']),
    budget: pick(['< $5k', '$5k-$25k', '$25k-$100k', '> $100k']),
    timeline: pick(['Now', 'This quarter', 'This year', 'Just researching']),
    message: pick(sampleMessages),
  };
}

/** A strong fit the default rules qualify on arrival: a decision maker with budget and a near timeline, in the core market. */
export const qualifiedBenchProfile = {
  firstName: 'Bench',
  company: 'Bench Co',
  jobTitle: 'VP Engineering',
  companySize: '201-1000',
  industry: 'Software',
  country: 'United States',
  budget: '$25k-$100k',
  timeline: 'This quarter',
};
