import { validate, version } from "uuid";
import { describe, expect, it } from "vitest";
import { EventIds } from "./event-ids.js";

describe("EventIds", () => {
  it("makes valid UUIDv7 ids whose first 48 bits are the clock's milliseconds", () => {
    const ms = 0x0192_3456_789a;
    const ids = new EventIds(() => ms);
    const id = ids.next();
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(id.replace(/-/g, "").slice(0, 12)).toBe(ms.toString(16).padStart(12, "0"));
    // The variant bits are 10.
    expect(["8", "9", "a", "b"]).toContain(id.charAt(19));
  });

  it("gives ids that sort in the order they were made, within a millisecond and across", () => {
    let now = 1_700_000_000_000;
    const ids = new EventIds(() => now);
    const made: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 1000 === 999) now++;
      made.push(ids.next());
    }
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });

  it("refills its random pool without repeating ids", () => {
    const ids = new EventIds();
    const made = new Set<string>();
    // Several pool refills.
    for (let i = 0; i < 20_000; i++) made.add(ids.next());
    expect(made.size).toBe(20_000);
  });
});
