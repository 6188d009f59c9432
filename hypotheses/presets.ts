// Sweep presets shipped as JSON files beside this module.
import quick from './presets/quick.json';
import protocol from './presets/protocol.json';
import h2Smollm2 from './presets/h2-smollm2.json';

export const PRESETS = { quick, protocol, 'h2-smollm2': h2Smollm2 } as const;
export type PresetName = keyof typeof PRESETS;
