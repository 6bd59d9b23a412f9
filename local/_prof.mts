import { Session } from 'node:inspector/promises';
const s = new Session(); s.connect();
const { buildApp } = await import('../infra/app');
const { app } = buildApp({ outdir: '/work/main/.leadflow/probe3' });
await s.post('Profiler.enable'); await s.post('Profiler.start');
app.synth();
const { profile } = await s.post('Profiler.stop');
// inclusive time per frame (first occurrence in stack)
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map<string, number>();
const dt = profile.timeDeltas!; const samples = profile.samples!;
for (let i = 0; i < samples.length; i++) { const seen = new Set<string>(); let id: number | undefined = samples[i]; while (id !== undefined) { const n = byId.get(id)!; const k = `${n.callFrame.functionName} ${n.callFrame.url.split('node_modules/').pop()}:${n.callFrame.lineNumber}`; if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + dt[i]! / 1000); } id = parent.get(id); } }
console.error([...incl].sort((a, b) => b[1] - a[1]).slice(0, 45).map(([k, v]) => `${v.toFixed(0)}ms ${k}`).join('\n'));
