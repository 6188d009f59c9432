// Sweep presets shipped as JSON files beside this module.
import quick from './presets/quick.json';
import protocol from './presets/protocol.json';

export const PRESETS = { quick, protocol } as const;
export type PresetName = keyof typeof PRESETS;
