#!/usr/bin/env node
// Kept small: a bridge started without a heap cap relaunches itself before loading anything else.
import { endWithLauncher, needsHeapCap, relaunchWithHeapCap } from "./heap-cap.js";

const args = process.argv.slice(2);
const script = process.argv[1];
if (script !== undefined && needsHeapCap(args, process.execArgv, process.env["NODE_OPTIONS"])) {
  relaunchWithHeapCap(script, args);
} else {
  endWithLauncher();
  await import("./program.js");
}
