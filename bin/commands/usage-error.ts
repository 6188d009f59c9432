// An error in what the user typed or gave (exit 2, message only, no stack).
export class UsageError extends Error {}
