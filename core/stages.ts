/** The sales stages a lead moves through (DESIGN.md, "Stages"). */
export const stages = ['new', 'nurturing', 'qualified', 'disqualified', 'presentation', 'objection', 'closing', 'won', 'lost'] as const;

export type Stage = (typeof stages)[number];
