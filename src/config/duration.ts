import { z } from "zod";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const PLAIN_MS = /^\d+(?:\.\d+)?$/;

/** What a duration setting accepts, for messages and docs. */
export const DURATION_FORMS = 'a number of ms, or a string like "500ms", "20s", "2m", "1h", "1m30s"';

/**
 * Parses a duration: a number of milliseconds, a string of digits (milliseconds), or a string of
 * number+unit parts (`ms`, `s`, `m`, `h`, e.g. `"1m30s"`). The result is rounded to whole ms.
 * @returns the duration in ms, or `undefined` when the value is not a duration (negative, NaN, unknown unit).
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (PLAIN_MS.test(text)) return Math.round(Number(text));
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1);
  }
  return Math.round(total);
}

/** Bounds of a {@link durationMs} setting, ms. */
export interface DurationBounds {
  /** Smallest accepted value, ms. */
  readonly min: number;
  /** Largest accepted value, ms. @default Number.MAX_SAFE_INTEGER */
  readonly max?: number;
}

/**
 * A zod schema for a duration setting (keys ending in `Ms`): accepts what {@link parseDurationMs}
 * accepts and outputs whole milliseconds within the bounds.
 */
export function durationMs(bounds: DurationBounds) {
  return z
    .unknown()
    .transform((value, ctx) => {
      const ms = parseDurationMs(value);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `a duration (${DURATION_FORMS})`, input: value });
        return z.NEVER;
      }
      return ms;
    })
    .pipe(
      z
        .number()
        .int()
        .min(bounds.min)
        .max(bounds.max ?? Number.MAX_SAFE_INTEGER),
    );
}
