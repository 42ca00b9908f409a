/** How a {@link DaprPublisher} publishes a batch, learnt from the sidecar. */
export type PublishMethod = "BulkPublishEvent" | "BulkPublishEventAlpha1" | "PublishEvent";

/** A daprd release, as `GetMetadata` reports it in `runtime_version`. */
export interface RuntimeVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** The publish methods, best first: a publisher takes the first its sidecar has. */
export const PUBLISH_METHODS: readonly PublishMethod[] = ["BulkPublishEvent", "BulkPublishEventAlpha1", "PublishEvent"];

/**
 * The first daprd release of each publish method: the stable `BulkPublishEvent` came in
 * v1.17.0, `BulkPublishEventAlpha1` in v1.10.0; `PublishEvent` is in every release.
 */
const SINCE: Readonly<Record<PublishMethod, RuntimeVersion>> = {
  BulkPublishEvent: { major: 1, minor: 17, patch: 0 },
  BulkPublishEventAlpha1: { major: 1, minor: 10, patch: 0 },
  PublishEvent: { major: 0, minor: 0, patch: 0 },
};

/**
 * Parses a daprd `runtime_version` (`1.16.5`, `v1.17.0-rc.2`); undefined for anything else
 * (`edge`, `dev`, an empty string): a build that is not a release.
 */
export function parseRuntimeVersion(text: string): RuntimeVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim());
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

function atLeast(version: RuntimeVersion, since: RuntimeVersion): boolean {
  if (version.major !== since.major) return version.major > since.major;
  if (version.minor !== since.minor) return version.minor > since.minor;
  return version.patch >= since.patch;
}

/**
 * Whether a daprd of `runtimeVersion` serves `method`. A version that does not parse (a dev or
 * edge build) is taken for the newest release: it has every method.
 */
export function sidecarHasMethod(runtimeVersion: string, method: PublishMethod): boolean {
  const version = parseRuntimeVersion(runtimeVersion);
  return version === undefined || atLeast(version, SINCE[method]);
}

/** The best publish method of a daprd of `runtimeVersion` (`BulkPublishEvent` for unparsable versions). */
export function publishMethodFor(runtimeVersion: string): PublishMethod {
  return PUBLISH_METHODS.find((method) => sidecarHasMethod(runtimeVersion, method)) ?? "PublishEvent";
}
