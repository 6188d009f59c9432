// H1–H6 by id. Everything that needs a hypothesis definition looks it up here.
import type { HypothesisDefinition, HypothesisId } from './definition.ts';
import { H0 } from './definitions/h0.ts';
import { H1 } from './definitions/h1.ts';
import { H2 } from './definitions/h2.ts';
import { H3 } from './definitions/h3.ts';
import { H4 } from './definitions/h4.ts';
import { H5 } from './definitions/h5.ts';
import { H6 } from './definitions/h6.ts';

export const HYPOTHESES: Record<HypothesisId, HypothesisDefinition> = { H0, H1, H2, H3, H4, H5, H6 };

export function getHypothesis(id: HypothesisId): HypothesisDefinition {
  return HYPOTHESES[id];
}
