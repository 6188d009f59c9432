// Workflow entry point bundled by the worker: only deterministic code is reachable from here.
export { SweepWorkflow } from './sweep.ts';
export { HypothesisWorkflow } from './hypothesis.ts';
