import { describe, expect, it } from 'vitest';
import { allowedMoves, objectionTypes } from '../../core/stage-machine';
import type { Stage } from '../../core/stages';
import { monthOfSales } from '../../local/demo-scenario';

const DAY = 86_400_000;
const until = Date.parse('2026-12-02T10:00:00Z');
const from = until - 30 * DAY;
const month = monthOfSales({ from, until, leads: 2_000 });

describe("the demo's month of sales", () => {
  it('is the same month on every run (seeded), every capture inside it and in order', () => {
    expect(monthOfSales({ from, until, leads: 2_000 })).toEqual(month);
    expect(month.leads).toHaveLength(2_000);
    const times = month.leads.map((lead) => lead.capturedAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(from);
    expect(Math.max(...times)).toBeLessThan(until);
    expect(new Set(month.leads.map((lead) => lead.persona.email)).size).toBe(2_000);
  });

  it('looks like B2B traffic: office hours, quiet weekends, every channel, most people consenting', () => {
    const hours = month.leads.map((lead) => new Date(lead.capturedAt).getUTCHours());
    expect(hours.filter((hour) => hour >= 8 && hour < 18).length / hours.length).toBeGreaterThan(0.95);
    const weekend = month.leads.filter((lead) => [0, 6].includes(new Date(lead.capturedAt).getUTCDay())).length;
    expect(weekend / month.leads.length).toBeLessThan(0.15);
    expect([...new Set(month.leads.map((lead) => lead.channel.id))].sort()).toEqual(['linkedin', 'newsletter', 'search', 'webinar']);
    const consenting = month.leads.filter((lead) => lead.persona.consent).length / month.leads.length;
    expect(consenting).toBeGreaterThan(0.7);
    expect(consenting).toBeLessThan(0.8);
    expect(month.campaignLaunchAt).toBeGreaterThan(from);
    expect(month.campaignLaunchAt).toBeLessThan(until);
  });

  it('plans only moves the stage machine allows from qualified, with valid objections, ending won or lost', () => {
    for (const { sales } of month.leads) {
      let stage: Stage = 'qualified';
      for (const move of sales.moves) {
        expect(allowedMoves[stage], `${stage} -> ${move.stage}`).toContain(move.stage);
        if (move.objection) expect(objectionTypes).toContain(move.objection.type);
        expect(move.afterDays).toBeGreaterThan(0);
        stage = move.stage;
      }
      expect(['won', 'lost']).toContain(stage);
    }
    const won = month.leads.filter(({ sales }) => sales.moves.at(-1)?.stage === 'won');
    expect(won.length / month.leads.length).toBeGreaterThan(0.15);
    expect(won.length / month.leads.length).toBeLessThan(0.45);
    expect(new Set(won.map(({ sales }) => sales.moves.at(-1)?.currency))).toEqual(new Set(['USD', 'EUR']));
  });
});
