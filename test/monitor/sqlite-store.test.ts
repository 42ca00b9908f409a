import { describe } from "vitest";
import { openSqliteStore } from "../../src/monitor/sqlite-store.js";
import { storeContract } from "./store-contract.js";

describe("the monitor's SQLite store", () => {
  storeContract(() => Promise.resolve(openSqliteStore({ file: ":memory:" })));
});
