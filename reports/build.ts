// ReportData → the report's blocks, in reading order: verdicts first, then one section per
// hypothesis, then provenance.
import type { Block } from './document.ts';
import { h3h4Blocks } from './sections/h3h4.ts';
import { hypothesisBlocks } from './sections/hypothesis.ts';
import { provenanceBlocks } from './sections/provenance.ts';
import { summaryBlocks } from './sections/summary.ts';
import type { ReportData } from './types.ts';

export function buildReport(d: ReportData): Block[] {
  return [...summaryBlocks(d), ...d.hypotheses.flatMap((h) => [...hypothesisBlocks(h), ...h3h4Blocks(h)]), ...provenanceBlocks(d)];
}
