#!/usr/bin/env -S node --max-old-space-size=192
// The command caps V8's heap itself (the line above): without a cap V8 grows its heap with the
// allocation rate before it collects; 192 MB keeps an outage's backlog under 200 MB RSS and still
// serves a sink under attack (docs/performance.md, Memory). A node flag given on the command line,
// `node --max-old-space-size=N <this file>`, chooses another cap; NODE_OPTIONS cannot override it.
import { Command } from "commander";
import { configCommand } from "./commands/config.js";
import { deadLettersCommand } from "./commands/dead-letters.js";
import { demoCommand } from "./commands/demo.js";
import { devSidecarCommand } from "./commands/dev-sidecar.js";
import { emitCommand } from "./commands/emit.js";
import { monitorCommand } from "./commands/monitor.js";
import { runCommand } from "./commands/run.js";
import { spoolCommand } from "./commands/spool.js";
import { exitWith } from "./exit.js";

const program = new Command("dapr-event-bridge")
  .description(
    "Durable bridge from Dapr's workflow and actor event stream to CloudEvents on Dapr PubSub.\n" +
      "Run with no command to start the bridge (same as `run`).",
  )
  .showHelpAfterError()
  .exitOverride((error) => {
    // commander's own usage errors: exit 2 like every other usage mistake.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

program.addCommand(runCommand(), { isDefault: true });
program.addCommand(emitCommand());
program.addCommand(devSidecarCommand());
program.addCommand(demoCommand());
program.addCommand(spoolCommand());
program.addCommand(deadLettersCommand());
program.addCommand(configCommand());
program.addCommand(monitorCommand());

program.parseAsync(process.argv).catch((error: unknown) => exitWith(error));
