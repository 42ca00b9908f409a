import { describe, expect, it } from "vitest";
import type { Fact } from "./facts.js";
import { IngestQueue } from "./ingest-queue.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { IngestResult, MonitorStore } from "./store.js";

function actor(id: string): Fact {
  return {
    kind: "actor",
    source: "/dapr/default/shop/actors/Cart",
    id,
    type: "io.dapr.actors.invoked",
    app: "shop",
    actorType: "Cart",
    timeMs: 0,
    counter: "invocations",
  };
}

/** A store that refuses any batch holding the fact with id `poison`. */
function refusing(store: MonitorStore): MonitorStore {
  return Object.assign(Object.create(store) as MonitorStore, {
    ingest: (facts: readonly Fact[]) =>
      facts.some((fact) => fact.id === "poison") ? Promise.reject(new Error("refused")) : store.ingest(facts),
  });
}

describe("IngestQueue", () => {
  it("commits what arrives together in one batch", async () => {
    const store = openSqliteStore({ file: ":memory:" });
    const commits: IngestResult[] = [];
    const queue = new IngestQueue(store, 500, (result) => commits.push(result));
    await Promise.all(["a", "b", "c"].map((id) => queue.add(actor(id))));
    expect(commits.map((c) => c.ingested)).toEqual([3]);
    await store.close();
  });

  it("fails only the event the store refuses, not the rest of its batch", async () => {
    const store = openSqliteStore({ file: ":memory:" });
    const commits: IngestResult[] = [];
    const queue = new IngestQueue(refusing(store), 500, (result) => commits.push(result));
    const outcomes = await Promise.allSettled(["a", "poison", "b"].map((id) => queue.add(actor(id))));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(commits.reduce((sum, c) => sum + c.ingested, 0)).toBe(2);
    await store.close();
  });
});
