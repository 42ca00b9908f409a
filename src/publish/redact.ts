import type { ServiceError } from "@grpc/grpc-js";
import { BridgeError } from "../errors/bridge-error.js";
import type { ClassifyOptions } from "../errors/classify.js";

/** What replaces a secret in text from the sidecar. */
export const REDACTED = "***";

/** `text` with every occurrence of `secret` replaced by {@link REDACTED}; `text` itself without a secret. */
export function redactSecret(text: string, secret: string | undefined): string {
  return secret === undefined || secret === "" ? text : text.split(secret).join(REDACTED);
}

/**
 * The boundary where a sidecar's error becomes a BridgeError: its text is copied into logs and
 * into dead letters (`deadlettererror`), so the API token is removed from it first, wherever the
 * sidecar put it (message, details; the metadata is dropped). Classified like any gRPC error.
 */
export function sidecarError(
  error: ServiceError,
  apiToken: string | undefined,
  context: string,
  options?: ClassifyOptions,
): BridgeError {
  const text = `${error.message}\n${error.details}`;
  if (apiToken === undefined || apiToken === "" || !text.includes(apiToken))
    return BridgeError.from(error, context, options);
  const clean = Object.assign(new Error(redactSecret(error.message, apiToken)), {
    code: error.code,
    details: redactSecret(error.details, apiToken),
  });
  return BridgeError.from(clean, redactSecret(context, apiToken), options);
}
