/**
 * Input validation at the boundary of the statistics library.
 *
 * Every public function checks its numeric inputs before computing anything: a NaN or ±Infinity
 * in a metric row is a data error upstream (a crashed kernel, a failed parse) and must never turn
 * silently into a p-value. The error names the argument and the offending index so the caller can
 * point at the row.
 */

/** Thrown when an input to a statistics function is not usable (non-finite, wrong length, out of range). */
export class StatsInputError extends Error {
  /** Name of the offending argument, e.g. `"variant"`. */
  readonly argument: string;
  /** Index of the offending element, when the argument is an array. */
  readonly index: number | undefined;

  constructor(argument: string, message: string, index?: number) {
    super(
      index === undefined
        ? `${argument}: ${message}`
        : `${argument}[${index}]: ${message}`,
    );
    this.name = 'StatsInputError';
    this.argument = argument;
    this.index = index;
  }
}

/** Throws a {@link StatsInputError} unless `value` is a finite number. */
export function assertFiniteNumber(argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StatsInputError(argument, `expected a finite number, got ${String(value)}`);
  }
}

/** Throws a {@link StatsInputError} naming the first element of `values` that is not a finite number. */
export function assertFiniteArray(argument: string, values: readonly number[]): void {
  if (!Array.isArray(values)) {
    throw new StatsInputError(argument, 'expected an array of numbers');
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new StatsInputError(argument, `expected a finite number, got ${String(v)}`, i);
    }
  }
}

/** Throws unless both arrays have the same length (paired data). */
export function assertSameLength(
  firstName: string,
  first: readonly number[],
  secondName: string,
  second: readonly number[],
): void {
  if (first.length !== second.length) {
    throw new StatsInputError(
      secondName,
      `paired data must have the same length as ${firstName} (${first.length}), got ${second.length}`,
    );
  }
}

/** Throws unless `value` is a number strictly between 0 and 1 (a level, alpha or power). */
export function assertOpenUnitInterval(argument: string, value: number): void {
  assertFiniteNumber(argument, value);
  if (!(value > 0 && value < 1)) {
    throw new StatsInputError(argument, `expected a number strictly between 0 and 1, got ${value}`);
  }
}

/** Throws naming the first element of `values` that is not a probability in [0, 1]. */
export function assertProbabilities(argument: string, values: readonly number[]): void {
  assertFiniteArray(argument, values);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v > 1) {
      throw new StatsInputError(argument, `expected a p-value in [0, 1], got ${v}`, i);
    }
  }
}

/** Throws unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(
  argument: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new StatsInputError(
      argument,
      `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
}
