import type { Metadata } from "@grpc/grpc-js";
import type { SourceIdentity } from "../cloudevents/record.js";

/** gRPC metadata keys daprd sends with the stream (docs/contract.md §3, Identity). */
export const APP_ID_METADATA = "dapr-app-id";
export const NAMESPACE_METADATA = "dapr-namespace";

function first(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/**
 * The emitting sidecar's identity: from the certificate's SPIFFE ID when the sink runs
 * mTLS (`fromCertificate`), else from the stream metadata, else the configured fallback.
 */
export function resolveIdentity(
  metadata: Metadata,
  fallback: SourceIdentity,
  fromCertificate?: SourceIdentity,
): SourceIdentity {
  if (fromCertificate !== undefined) return fromCertificate;
  return {
    appId: first(metadata, APP_ID_METADATA) ?? fallback.appId,
    namespace: first(metadata, NAMESPACE_METADATA) ?? fallback.namespace,
  };
}
