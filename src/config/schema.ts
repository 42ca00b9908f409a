import { z } from "zod";
import type { BridgeConfig } from "./bridge-config.js";
import { SETTINGS, shapeOf } from "./settings.js";

/** The settings object as validated, before derived values are filled in. */
const rawSchema = z.strictObject(shapeOf(SETTINGS));

type Raw = z.output<typeof rawSchema>;

/**
 * The one schema of the bridge's configuration: YAML keys are BridgeConfig's camelCase names,
 * unknown keys are rejected, every value is range-checked, defaults come from {@link SETTINGS}.
 * Its output is a {@link BridgeConfig}: `deadLetterPubsub` defaults to the resolved `pubsub`, and
 * `tls` is present only when all three files are given.
 */
export const bridgeConfigSchema: z.ZodType<BridgeConfig, unknown> = rawSchema.transform(
  ({ deadLetterPubsub, tls, ...rest }): BridgeConfig => ({
    ...rest,
    deadLetterPubsub: deadLetterPubsub ?? rest.pubsub,
    ...(tls === undefined ? {} : { tls }),
  }),
);

// Type-level checks: the table has exactly BridgeConfig's keys, with the same value types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type Plain<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
export type _SameKeys = Assert<Same<keyof Raw, keyof BridgeConfig>>;
export type _SameTypes = Assert<Same<Plain<Raw>, Plain<BridgeConfig>>>;
