import { Command } from "commander";
import { BridgeError, ErrorCode } from "../../errors/bridge-error.js";
import {
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  type DeadLetterEntry,
  type DeadLetterFilter,
} from "../../spool/spool-admin.js";
import { DEFAULT_SPOOL_DIR, failCommand, formatAge, writeOut } from "./spool.js";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration like `500ms`, `30s`, `10m`, `1h`, `2d` or `1h30m` into ms. Throws
 * `BridgeError` (code `invalid_config`) naming the flag.
 */
export function parseDuration(flag: string, text: string): number {
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
    end = (match.index ?? 0) + match[0].length;
  }
  if (text === "" || end !== text.length || !Number.isFinite(total)) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `${flag} expects a duration such as 30s, 10m, 1h or 1h30m (units ms, s, m, h, d); got "${text}".`,
    );
  }
  return total;
}

interface FilterFlags {
  spoolDir: string;
  type?: string;
  olderThan?: string;
  newerThan?: string;
  limit?: string;
  json?: boolean;
  yes?: boolean;
}

function filterOf(flags: FilterFlags): DeadLetterFilter {
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!Number.isSafeInteger(limit) || limit <= 0) {
      throw new BridgeError(ErrorCode.InvalidConfig, `--limit expects a positive integer; got "${flags.limit}".`);
    }
  }
  return {
    ...(flags.type === undefined ? {} : { type: flags.type }),
    ...(flags.olderThan === undefined ? {} : { olderThanMs: parseDuration("--older-than", flags.olderThan) }),
    ...(flags.newerThan === undefined ? {} : { newerThanMs: parseDuration("--newer-than", flags.newerThan) }),
    ...(limit === undefined ? {} : { limit }),
  };
}

function withFilterOptions(command: Command): Command {
  return command
    .option("--spool-dir <dir>", "the spool directory", DEFAULT_SPOOL_DIR)
    .option("--type <type>", "CloudEvent type; a trailing * matches a prefix (io.dapr.workflows.*)")
    .option("--older-than <duration>", "only dead letters parked at least this long ago (30s, 10m, 1h)")
    .option("--newer-than <duration>", "only dead letters parked at most this long ago")
    .option("--limit <n>", "at most this many, oldest first")
    .option("--json", "print JSON");
}

function table(entries: readonly DeadLetterEntry[], now: number): string {
  const rows = [
    ["SEQ", "ID", "TYPE", "KEY", "PARKED", "ATTEMPTS", "REASON", "ERROR"],
    ...entries.map((entry) => [
      String(entry.seq),
      entry.id,
      entry.type,
      entry.key,
      `${formatAge(now - entry.deadAt)} ago`,
      String(entry.attempts),
      entry.reason,
      entry.error.length > 80 ? `${entry.error.slice(0, 79)}…` : entry.error,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join("  "),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/**
 * `dead-letters list|replay|purge`: the dead letters parked in the spool (docs/contract.md §5), with
 * filters `--type`, `--older-than`, `--newer-than`, `--limit`. `list` reads only; `replay` and
 * `purge` need the bridge stopped (they take the spool's lock), and `purge` needs `--yes`.
 * Errors print what went wrong and what to do, and exit with code 2.
 */
export function deadLettersCommand(): Command {
  const root = new Command("dead-letters").description("List, replay or purge the dead letters parked in the spool");

  withFilterOptions(root.command("list").description("List dead letters, oldest first")).action(
    (_options: unknown, command: Command) => {
      try {
        const flags = command.opts<FilterFlags>();
        const entries = listDeadLetters(flags.spoolDir, filterOf(flags));
        if (flags.json === true) writeOut(command, `${JSON.stringify(entries, null, 2)}\n`);
        else if (entries.length === 0) writeOut(command, "No dead letters match.\n");
        else writeOut(command, table(entries, Date.now()));
      } catch (reason) {
        failCommand(command, reason);
      }
    },
  );

  withFilterOptions(
    root
      .command("replay")
      .description("Move dead letters back to pending; the bridge publishes them (to the dead-letter route) on start"),
  ).action((_options: unknown, command: Command) => {
    try {
      const flags = command.opts<FilterFlags>();
      const replayed = replayDeadLetters(flags.spoolDir, filterOf(flags));
      if (flags.json === true) writeOut(command, `${JSON.stringify({ replayed })}\n`);
      else writeOut(command, `Replayed ${replayed} dead letters: the bridge publishes them when it starts.\n`);
    } catch (reason) {
      failCommand(command, reason);
    }
  });

  withFilterOptions(root.command("purge").description("Delete dead letters for good (needs --yes)"))
    .option("--yes", "confirm the deletion")
    .action((_options: unknown, command: Command) => {
      try {
        const flags = command.opts<FilterFlags>();
        const purged = purgeDeadLetters(flags.spoolDir, filterOf(flags), { confirm: flags.yes === true });
        if (flags.json === true) writeOut(command, `${JSON.stringify({ purged })}\n`);
        else writeOut(command, `Purged ${purged} dead letters.\n`);
      } catch (reason) {
        failCommand(command, reason);
      }
    });

  return root;
}
