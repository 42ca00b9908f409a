import { Command } from "commander";
import { BridgeError, ErrorCode } from "../../errors/bridge-error.js";
import type { InstanceSummary } from "../../monitor/store.js";

/** The flags of `monitor query`. */
export interface MonitorQueryFlags {
  readonly url: string;
  readonly status?: string;
  readonly name?: string;
  readonly app?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit?: string;
  readonly cursor?: string;
  readonly json?: boolean;
}

/** The `GET /api/instances` URL the flags ask for. */
export function queryUrl(flags: MonitorQueryFlags): URL {
  let url: URL;
  try {
    url = new URL("/api/instances", flags.url);
  } catch {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `--url: expected http://HOST:PORT, got ${JSON.stringify(flags.url)}`,
    );
  }
  for (const name of ["status", "name", "app", "since", "until", "limit", "cursor"] as const) {
    const value = flags[name];
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url;
}

/** The instances as a table with a header line; columns padded to their widest cell. */
export function formatTable(instances: readonly InstanceSummary[]): string {
  const rows = [
    ["INSTANCE", "APP", "NAME", "STATUS", "CREATED", "UPDATED", "FAILURE"],
    ...instances.map((i) => [
      i.instanceId,
      i.app,
      i.name,
      i.status,
      i.createdAt,
      i.lastUpdatedAt,
      i.failure === null ? "" : `${i.failure.errorType}: ${i.failure.errorMessage}`,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `monitor query`: one page of `GET /api/instances` from a running monitor, as a table or JSON. */
export function monitorQueryCommand(): Command {
  return new Command("query")
    .description("list instances from a running monitor, e.g. --status failed --name PaymentWorkflow --since 1h")
    .option("--url <url>", "the monitor", "http://127.0.0.1:8181")
    .option("--status <status>", "PENDING, RUNNING, SUSPENDED, COMPLETED, FAILED, TERMINATED, CONTINUED_AS_NEW")
    .option("--name <workflow>", "workflow name")
    .option("--app <app-id>", "app id")
    .option("--since <when>", "updated since: a duration back from now (1h) or an RFC 3339 time")
    .option("--until <when>", "created until: a duration back from now or an RFC 3339 time")
    .option("--limit <n>", "instances per page (1-500)")
    .option("--cursor <cursor>", "the nextCursor of a previous page")
    .option("--json", "print the API's JSON answer", false)
    .action(async (flags: MonitorQueryFlags) => {
      const url = queryUrl(flags);
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new BridgeError(
          ErrorCode.Unavailable,
          `cannot reach the monitor at ${url.origin}: is it running? (--url)`,
          {
            cause: error,
          },
        );
      }
      const body = (await response.json()) as {
        error?: string;
        instances?: InstanceSummary[];
        nextCursor?: string | null;
        total?: number;
      };
      if (!response.ok) {
        throw new BridgeError(
          ErrorCode.InvalidConfig,
          `the monitor refused the query: ${body.error ?? response.status}`,
        );
      }
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      const instances = body.instances ?? [];
      process.stdout.write(`${formatTable(instances)}\n`);
      process.stdout.write(
        `${instances.length} of ${body.total ?? 0}${body.nextCursor == null ? "" : `; next page: --cursor ${body.nextCursor}`}\n`,
      );
    });
}
