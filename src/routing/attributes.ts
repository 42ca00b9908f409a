import type { CloudEventRecord, ExtensionValue, Timestamp } from "../cloudevents/record.js";
import { formatTimestamp } from "../cloudevents/timestamp.js";

/** Reads one CloudEvents attribute of a record as a string; `undefined` when the event lacks it. */
export type AttributeGetter = (record: CloudEventRecord) => string | undefined;

/**
 * The RFC 3339 text of a Timestamp as filters (and the JSON format) see it, e.g.
 * `2025-03-14T09:26:53.589Z`; `undefined` (a missing attribute) for a timestamp no date can hold,
 * so a bad value fails to match instead of failing the stream.
 */
function timeText(ts: Timestamp): string | undefined {
  try {
    return formatTimestamp(ts);
  } catch {
    return undefined;
  }
}

/** The text of an extension value as a filter sees it: numbers in decimal, booleans `true`/`false`, timestamps RFC 3339 (empty when out of range). */
export function stringifyExtension(value: ExtensionValue): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
      return String(value);
    default:
      return timeText(value) ?? "";
  }
}

/**
 * Returns the getter of a lower-case CloudEvents attribute name: a context attribute (id, source,
 * specversion, type, subject, time, datacontenttype, dataschema) or else an extension. Built once
 * per filter, so matching an event does no lookup by name beyond the extension map.
 */
export function attributeGetter(name: string): AttributeGetter {
  switch (name) {
    case "id":
      return (r) => r.id;
    case "source":
      return (r) => r.source;
    case "specversion":
      return (r) => r.specversion;
    case "type":
      return (r) => r.type;
    case "subject":
      return (r) => r.subject;
    case "time":
      return (r) => (r.time === undefined ? undefined : timeText(r.time));
    case "datacontenttype":
      return (r) => r.datacontenttype;
    case "dataschema":
      return (r) => r.dataschema;
    default:
      return (r) => {
        // Own properties only: `constructor` is a valid attribute name and an Object.prototype member.
        const value = Object.hasOwn(r.extensions, name) ? r.extensions[name] : undefined;
        return value === undefined ? undefined : stringifyExtension(value);
      };
  }
}
