// H3/H4 extras after their generic sections: the bits and memory checks (H3) and the two
// degradations from fp16 side by side with the bit-budget check (H4). Everything comes from the
// stored tests and the verdict's key numbers; the per-task accuracy/F1/MCC tables with CIs are in
// the generic section (descriptives of the tested metrics).
import type { TestRecord } from '../../hypotheses/analysis/types.ts';
import { code, muted, strong, warn, type Block, type Inline } from '../document.ts';
import { fmtInt, fmtNum, fmtPoint } from '../format.ts';
import type { HypothesisSection } from '../types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkRows(tests: TestRecord[]): Inline[][][] {
  return tests.map((t) => {
    const status = String(t.details.status ?? (t.reject === null ? 'missing' : t.reject ? 'failed' : 'passed'));
    return [
      [code(t.metric)], [String(t.details.check ?? t.comparison)], [fmtInt(t.n)],
      [t.meanDiff === null ? '—' : fmtNum(t.meanDiff, 4)],
      [status === 'passed' ? '✓ passed' : status === 'failed' ? warn('✗ failed') : muted(status)],
    ];
  });
}

function h3Blocks(s: HypothesisSection): Block[] {
  const checks = s.tests.rows.filter((t) => t.test === 'deterministic-check');
  if (!checks.length) return [];
  return [
    { kind: 'heading', level: 3, text: 'Bits and memory (deterministic checks)', id: 'h3-bits-memory' },
    {
      kind: 'paragraph',
      content: ['bin-blocks must have strictly fewer ', code('bits_per_param'), ' (weights, scales, LoRA adapters, LayerNorms and biases over the architecture\'s parameters) and a strictly lower ',
        code('peak_mem_bytes'), ' (measured peak of the packed inference model\'s weights, activations and scratch) than int4 in every matched (seed, task) pair.'],
    },
    {
      kind: 'table', caption: 'H3 deterministic checks (mean d = bin-blocks − int4 over the pairs)',
      columns: [{ header: 'Metric', nowrap: true }, { header: 'Check' }, { header: 'Pairs', align: 'right' }, { header: 'mean d', align: 'right' }, { header: 'Outcome', nowrap: true }],
      rows: checkRows(checks), sql: s.tests.sql,
    },
  ];
}

function h4Blocks(s: HypothesisSection): Block[] {
  const blocks: Block[] = [];
  const deg = s.verdict?.keyNumbers.degradationVsFp16;
  if (isObj(deg)) {
    const byTask = new Map<string, { grid: Record<string, unknown>; a?: { n: number; d: number }; b?: { n: number; d: number } }>();
    for (const [variant, side] of [['bin-embed', 'a'], ['bin-blocks', 'b']] as const) {
      const list = deg[variant];
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        if (!isObj(e) || !isObj(e.grid)) continue;
        const k = JSON.stringify(e.grid);
        const row = byTask.get(k) ?? { grid: e.grid };
        row[side] = { n: Number(e.n), d: Number(e.meanDegradation) };
        byTask.set(k, row);
      }
    }
    if (byTask.size) {
      blocks.push({ kind: 'heading', level: 3, text: 'Degradation from fp16, side by side', id: 'h4-degradations' });
      blocks.push({
        kind: 'table', caption: 'Mean accuracy degradation d = acc(fp16) − acc(variant) per task (points; larger = more sensitive)',
        columns: [{ header: 'Task', nowrap: true }, { header: 'd_A bin-embed', align: 'right' }, { header: 'd_B bin-blocks', align: 'right' }, { header: 'd_A − d_B', align: 'right' }, { header: 'Seeds', align: 'right' }],
        rows: [...byTask.values()].map((r) => [
          [fmtPoint(r.grid)], [r.a ? fmtNum(r.a.d, 4) : '—'], [r.b ? fmtNum(r.b.d, 4) : '—'],
          [r.a && r.b ? fmtNum(r.a.d - r.b.d, 4) : '—'], [String(Math.min(r.a?.n ?? 0, r.b?.n ?? 0))],
        ]),
        sql: s.verdict?.sql,
      });
    }
  }
  const budget = s.tests.rows.filter((t) => t.test === 'deterministic-check');
  if (budget.length) {
    blocks.push({
      kind: 'paragraph',
      content: [strong('Bit budget: '), 'each (bin-blocks, bin-embed) cell pair is used only when their ', code('total_bits'), ' agree within the tolerance; binllm-nlu binarises just enough block rows (last layer first, MLP before attention) to meet bin-embed\'s total and reports the rows it chose (',
        code('binarized_rows'), ' by block).'],
    });
    blocks.push({
      kind: 'table', caption: 'H4 bit-budget check',
      columns: [{ header: 'Metric', nowrap: true }, { header: 'Check' }, { header: 'Pairs', align: 'right' }, { header: 'Valid pairs', align: 'right' }, { header: 'Outcome', nowrap: true }],
      rows: budget.map((t) => [[code(t.metric)], [String(t.details.check ?? t.comparison)], [fmtInt(t.n)], [fmtInt(Number(t.details.validPairs ?? 0))],
        [t.reject === null ? muted('no pairs') : t.reject ? warn('✗ some pairs invalid') : '✓ all pairs valid']]),
      sql: s.tests.sql,
    });
  }
  return blocks;
}

/** Extra blocks for H3 and H4 (none for other hypotheses). */
export function h3h4Blocks(s: HypothesisSection): Block[] {
  const blocks = s.id === 'H3' ? h3Blocks(s) : s.id === 'H4' ? h4Blocks(s) : [];
  return blocks.length ? [{ kind: 'section', id: `${s.id.toLowerCase()}-nlu`, blocks }] : [];
}
