/**
 * A month of a small B2B company, as data: who fills in which form on which day with which
 * answers, what they do afterwards, and what the sales team would do with each lead once it is
 * theirs. Pure and seeded, so a demo run is repeatable and its shape is unit-tested; the driver
 * (local/demo.ts) plays it against the local cloud through the API.
 */
import { seededRandom } from './seeded-random';

const DAY_MS = 86_400_000;

/** Where a lead came from: the form tool and form it used, and the attribution its page carried. */
export interface Channel {
  id: string;
  formId: string;
  /** How the form tool posts: a landing page's script (JSON), a plain HTML form, or Tally's webhook. */
  via: 'json' | 'html-form' | 'tally';
  utm: { source: string; medium: string; campaign: string };
  /** Share of the month's leads. */
  weight: number;
}

export const channels: readonly Channel[] = [
  { id: 'search', formId: 'demo-request', via: 'json', utm: { source: 'google', medium: 'cpc', campaign: 'q4-search' }, weight: 0.35 },
  {
    id: 'linkedin',
    formId: 'demo-request',
    via: 'json',
    utm: { source: 'linkedin', medium: 'paid-social', campaign: 'q4-abm' },
    weight: 0.2,
  },
  {
    id: 'newsletter',
    formId: 'contact',
    via: 'html-form',
    utm: { source: 'newsletter', medium: 'email', campaign: 'monthly' },
    weight: 0.2,
  },
  {
    id: 'webinar',
    formId: 'webinar',
    via: 'tally',
    utm: { source: 'webinar', medium: 'event', campaign: 'pipeline-webinar' },
    weight: 0.25,
  },
];

export interface Persona {
  firstName: string;
  lastName: string;
  email: string;
  company: string;
  jobTitle: string;
  companySize: string;
  industry: string;
  country: string;
  budget: string;
  timeline: string;
  message: string;
  consent: boolean;
}

/** Something a lead does after its capture (scored as engagement). */
export interface PlannedEngagement {
  at: number;
  type: 'page_visit' | 'content_download' | 'webinar_attended' | 'meeting';
  properties?: Record<string, string>;
}

/** What sales will do once the lead is in `qualified`: the moves, days apart, and how it ends. */
export interface SalesPath {
  moves: Array<{
    stage: 'presentation' | 'objection' | 'closing' | 'won' | 'lost';
    afterDays: number;
    objection?: { type: 'price' | 'features' | 'timing' | 'authority' | 'other'; note: string };
    dealValue?: number;
    currency?: string;
    reason?: string;
  }>;
}

export interface PlannedLead {
  index: number;
  capturedAt: number;
  channel: Channel;
  persona: Persona;
  engagement: PlannedEngagement[];
  sales: SalesPath;
}

export interface Scenario {
  from: number;
  until: number;
  leads: PlannedLead[];
  /** When marketing launches its nurture campaign for the nurtured leads. */
  campaignLaunchAt: number;
}

const firstNames = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Ken', 'Frances', 'Dennis', 'Radia', 'Tim', 'Hedy'];
const lastNames = ['Lovelace', 'Hopper', 'Hamilton', 'Turing', 'Liskov', 'Thompson', 'Allen', 'Ritchie', 'Perlman', 'Lamarr', 'Kay'];
/** From buyers to people who will never buy: the authority the scoring rules read. */
const titles: ReadonlyArray<[string, number]> = [
  ['VP of Sales', 0.08],
  ['Head of Revenue Operations', 0.08],
  ['CEO', 0.05],
  ['Director of Marketing', 0.09],
  ['Sales Manager', 0.16],
  ['Marketing Lead', 0.1],
  ['Account Executive', 0.16],
  ['Software Engineer', 0.1],
  ['Sales Assistant', 0.08],
  ['Marketing Intern', 0.05],
  ['Student', 0.05],
];
const industries = ['Software', 'SaaS', 'Financial services', 'Healthcare', 'Manufacturing', 'Retail', 'Education', 'Other'];
const sizes = ['1-10', '11-50', '51-200', '201-1000', '1000+'];
const budgets: ReadonlyArray<[string, number]> = [
  ['< $5k', 0.3],
  ['$5k-$25k', 0.35],
  ['$25k-$100k', 0.25],
  ['> $100k', 0.1],
];
const timelines: ReadonlyArray<[string, number]> = [
  ['Now', 0.15],
  ['This quarter', 0.3],
  ['This year', 0.3],
  ['Just researching', 0.25],
];
const objections: ReadonlyArray<NonNullable<SalesPath['moves'][number]['objection']>> = [
  { type: 'price', note: 'Above the budget they planned for this year.' },
  { type: 'timing', note: 'Wants to wait for the new sales leader to start.' },
  { type: 'features', note: 'Needs a Salesforce sync before they can switch.' },
  { type: 'other', note: 'Also evaluating an incumbent CRM add-on.' },
  { type: 'authority', note: 'The CFO has to sign off.' },
];
const buyerMessages = [
  'Our pipeline reporting lives in spreadsheets; we need a dashboard and lead scoring before next quarter.',
  'We want to automate follow-up and nurturing, and integrate with our CRM.',
  'Forecast accuracy is poor and reps miss follow-ups: looking to automate the sales process.',
];
/** What the rest write: some need, some none, some are not buyers at all. */
const otherMessages = [
  'Our pipeline reporting lives in spreadsheets; we need one place for it.',
  'Looking at CRM integration and forecasting for a 40-person sales team.',
  'Just browsing.',
  'Is there an internship? It is for my thesis.',
  'We want to automate follow-up emails and lead scoring before next quarter.',
];
const lossReasons = ['Went with a competitor', 'No budget this year', 'Project postponed', 'Stopped answering'];

/**
 * The month: `leads` captures from `from` to `until`, fewer at weekends and growing through the
 * month as the campaigns ramp up, each with its persona, engagement and the sales path it would take.
 */
export function monthOfSales(options: { from: number; until: number; leads: number; seed?: number }): Scenario {
  const random = seededRandom(options.seed ?? 7);
  const chance = (p: number) => random.next() < p;
  const weighted = <T>(entries: ReadonlyArray<[T, number]>): T => {
    let left = random.next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    let chosen: T | undefined;
    for (const [value, weight] of entries) {
      chosen = value;
      if ((left -= weight) <= 0) break;
    }
    if (chosen === undefined) throw new Error('a weighted choice needs entries');
    return chosen;
  };
  // Whole UTC days from the one `from` falls in; office hours outside [from, until) are moved inside.
  const firstDay = Math.floor(options.from / DAY_MS) * DAY_MS;
  const days = Math.max(1, Math.ceil((options.until - firstDay) / DAY_MS));
  // Each day's share of the month: weekdays full, weekends 30%, and 50% more by the end than at the start.
  const dayWeights = Array.from({ length: days }, (_, day) => {
    const weekday = new Date(firstDay + day * DAY_MS).getUTCDay();
    return (weekday === 0 || weekday === 6 ? 0.3 : 1) * (1 + (0.5 * day) / days);
  });
  const dayEntries = dayWeights.map((weight, day): [number, number] => [day, weight]);
  const channelEntries = channels.map((channel): [Channel, number] => [channel, channel.weight]);

  const leads: PlannedLead[] = [];
  for (let index = 0; index < options.leads; index++) {
    const day = weighted(dayEntries);
    // Office hours, 08:00 to 18:00 UTC.
    const officeHour = firstDay + day * DAY_MS + (8 + random.next() * 10) * 3_600_000;
    const capturedAt = Math.max(options.from, Math.min(options.until - 1, officeHour));
    const channel = weighted(channelEntries);
    const firstName = random.pick(firstNames);
    const lastName = random.pick(lastNames);
    const company = `${random.pick(['Acme', 'Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay'])} ${index % 300}`;
    // About a third are the buyers the company is after (a decision maker with budget, need and a
    // near timeline, in its core market); the rest are as mixed as landing-page traffic is.
    const buyer = chance(0.35);
    const persona: Persona = {
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${index}@${company.toLowerCase().replace(/\s+/g, '-')}.example`.toLowerCase(),
      company,
      jobTitle: buyer
        ? random.pick(['VP of Sales', 'Head of Revenue Operations', 'CEO', 'Director of Marketing', 'Sales Manager'])
        : weighted(titles),
      companySize: buyer ? random.pick(['51-200', '201-1000', '1000+']) : random.pick(sizes),
      industry: buyer ? random.pick(['Software', 'SaaS', 'Financial services']) : random.pick(industries),
      country: random.pick(['United States', 'Germany', 'United Kingdom', 'France', 'Brazil', 'India']),
      budget: buyer ? random.pick(['$25k-$100k', '> $100k']) : weighted(budgets),
      timeline: buyer ? random.pick(['Now', 'This quarter']) : weighted(timelines),
      message: buyer ? random.pick(buyerMessages) : random.pick(otherMessages),
      consent: chance(0.75),
    };
    const engagement: PlannedEngagement[] = [];
    const later = (minDays: number, maxDays: number) => capturedAt + (minDays + random.next() * (maxDays - minDays)) * DAY_MS;
    if (chance(0.6)) engagement.push({ at: later(0.1, 3), type: 'page_visit', properties: { path: '/pricing' } });
    if (chance(0.35)) engagement.push({ at: later(1, 10), type: 'content_download', properties: { asset: 'pipeline-playbook' } });
    if (channel.id === 'webinar' && chance(0.55)) engagement.push({ at: later(2, 6), type: 'webinar_attended' });
    if (chance(0.12)) engagement.push({ at: later(3, 14), type: 'meeting' });
    leads.push({ index, capturedAt, channel, persona, engagement: engagement.sort((a, b) => a.at - b.at), sales: salesPath() });
  }
  leads.sort((a, b) => a.capturedAt - b.capturedAt);
  return { from: options.from, until: options.until, leads, campaignLaunchAt: options.from + Math.round(days * 0.3) * DAY_MS };

  /** Most qualified leads see a presentation; half raise an objection; about a third of those presented win. */
  function salesPath(): SalesPath {
    const moves: SalesPath['moves'] = [];
    if (chance(0.15)) return { moves: [{ stage: 'lost', afterDays: 1 + random.next() * 3, reason: random.pick(lossReasons) }] };
    moves.push({ stage: 'presentation', afterDays: 0.5 + random.next() * 2 });
    if (chance(0.5)) moves.push({ stage: 'objection', afterDays: 1 + random.next() * 3, objection: random.pick(objections) });
    if (chance(0.3)) {
      moves.push({ stage: 'lost', afterDays: 1 + random.next() * 4, reason: random.pick(lossReasons) });
      return { moves };
    }
    moves.push({ stage: 'closing', afterDays: 1 + random.next() * 4 });
    if (chance(0.55)) {
      const currency = chance(0.8) ? 'USD' : 'EUR';
      moves.push({ stage: 'won', afterDays: 1 + random.next() * 5, dealValue: Math.round(5 + random.next() * 60) * 1_000, currency });
    } else {
      moves.push({ stage: 'lost', afterDays: 1 + random.next() * 5, reason: random.pick(lossReasons) });
    }
    return { moves };
  }
}
