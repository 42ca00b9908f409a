/**
 * Base64 of bytes without copying them (a view over the same memory). Used for JSON's
 * `bytes` fields and `data_base64`, and as an exact, cheap map key of event bytes.
 */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
