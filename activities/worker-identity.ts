// A worker's Temporal identity carries its cell slots, so the poller list of a queue says how many
// cells the queue can run at once: "host-123-h100 [1 slot]". Pure: the workflows read it too.
export const identityWithSlots = (base: string, slots: number) => `${base} [${slots} slot${slots === 1 ? '' : 's'}]`;

/** Slots of a worker identity; 1 for an identity without the suffix (another client, an old worker). */
export function slotsOfIdentity(identity: string): number {
  const m = /\[(\d+) slots?\]$/.exec(identity);
  return m ? Number(m[1]) : 1;
}
