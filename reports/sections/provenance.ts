// Provenance: the sweep row, the spec as stored, kernels with versions and build hashes, devices,
// workers and times, and the query that lists every hole of the sweep.
import { code, muted, strong, warn, type Block, type Inline } from '../document.ts';
import { fmtDuration, fmtInt, fmtTime, prettyJson } from '../format.ts';
import type { KernelRunRow, ReportData } from '../types.ts';

/** One line per input file: param, path, size and the first 12 hex digits of its content hash. */
function inputsCell(inputs: KernelRunRow['inputs']): Inline[] {
  const e = Object.entries(inputs ?? {});
  if (!e.length) return [muted('—')];
  return e.flatMap(([k, f], i) => [i ? '; ' : '', `${k} = ${f.path ?? '?'} (${f.kind === 'missing' ? 'missing' : `${fmtInt(f.size ?? 0)} B, `}`, code((f.sha256 ?? '').slice(0, 12)), ')']);
}

export function provenanceBlocks(d: ReportData): Block[] {
  const s = d.sweep;
  const duration = s.finishedAt ? (new Date(s.finishedAt).getTime() - new Date(s.createdAt).getTime()) / 1000 : null;
  const kv: Array<[string, Inline[]]> = [
    ['Sweep id', [code(s.id)]],
    ['Name', [s.name]],
    ['Status', [s.status === 'completed' ? s.status : warn(s.status)]],
    ['Temporal workflow', [code(s.workflowId), s.runId ? ' run ' : '', s.runId ? code(s.runId) : '']],
    ['Git commit', [s.gitCommit ? code(s.gitCommit) : warn('not recorded')]],
    ['Started', [fmtTime(s.createdAt)]],
    ['Finished', [s.finishedAt ? fmtTime(s.finishedAt) : warn('not finished')]],
    ['Wall time', [fmtDuration(duration)]],
    ['Report generated', [fmtTime(d.generatedAt)]],
  ];
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Provenance', id: 'provenance' },
    { kind: 'table', className: 'kv', columns: [{ header: 'Item', nowrap: true }, { header: 'Value' }], rows: kv.map(([k, v]) => [[strong(k)], v]), sql: s.sql },
    { kind: 'heading', level: 3, text: 'Kernels, builds and devices', id: 'provenance-runs' },
  ];
  const runs = d.provenance.runs.rows;
  if (runs.length) {
    blocks.push({
      kind: 'table', className: 'runs',
      columns: [
        { header: 'Kernel' }, { header: 'Version' }, { header: 'Build hash' }, { header: 'Build flags' }, { header: 'GPU' }, { header: 'Device' }, { header: 'Worker' }, { header: 'Inputs (sha-256)' },
        { header: 'Runs (ok)', align: 'right' }, { header: 'First start', nowrap: true }, { header: 'Last finish', nowrap: true }, { header: 'Kernel time', align: 'right' },
      ],
      rows: runs.map((r) => [
        [code(r.kernel)], [r.kernelVersion], [r.buildHash ? code(r.buildHash) : muted('—')], [r.buildFlags ?? '—'], [r.gpu], [r.deviceName ?? '—'], [r.worker ?? '—'], inputsCell(r.inputs),
        [r.runsOk === r.runs ? fmtInt(r.runs) : warn(`${fmtInt(r.runs)} (${fmtInt(r.runsOk)} ok)`)], [fmtTime(r.firstStarted)], [fmtTime(r.lastFinished)], [fmtDuration(r.kernelSeconds)],
      ]),
      sql: d.provenance.runs.sql,
      notes: [['Cells reused from earlier sweeps (same cell_key) keep the kernel version, build, device and times of the run that produced them. The cell_key covers the content (sha-256) of every input file, so a changed file is a new cell.']],
    });
  } else {
    blocks.push({ kind: 'paragraph', tone: 'warn', content: [strong('No runs: '), 'no cell of this sweep is linked to a run.'] });
  }
  const holes = d.hypotheses.reduce((a, h) => a + h.holes.total, 0);
  blocks.push({ kind: 'heading', level: 3, text: 'Failed or missing cells', id: 'provenance-holes' });
  blocks.push({
    kind: 'paragraph', tone: holes ? 'warn' : undefined,
    content: [holes ? `${fmtInt(holes)} cells of this sweep have no usable data (grouped per hypothesis above). ` : 'No failed, pending or unserved cells. ', 'This query lists every one of them:'],
  });
  blocks.push({ kind: 'code', lang: 'sql', text: d.provenance.holesSql });
  blocks.push({ kind: 'heading', level: 3, text: 'Sweep spec (as stored)', id: 'provenance-spec' });
  if (s.specIssues.length) blocks.push({ kind: 'list', items: s.specIssues.map((i) => [warn('The stored spec no longer validates: '), i]) });
  blocks.push({ kind: 'code', lang: 'json', text: prettyJson(s.spec) });
  return blocks;
}
