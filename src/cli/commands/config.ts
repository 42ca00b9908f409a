import { Command } from "commander";
import { stringify } from "yaml";
import { BridgeError, ErrorCode } from "../../errors/bridge-error.js";
import { addConfigOptions, maskSecrets, resolveConfig, validateConfig } from "../../config/load.js";
import { renderProblem } from "../../config/problems.js";

/** Exit code of an invalid configuration. */
export const EXIT_INVALID_CONFIG = 2;

/** Options of {@link configCommand}, for tests and embedding. */
export interface ConfigCommandOptions {
  /** Where results go. @default process.stdout.write */
  readonly stdout?: (text: string) => void;
  /** Where problems go. @default process.stderr.write */
  readonly stderr?: (text: string) => void;
  /** The environment `config print` reads. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the exit code. @default sets process.exitCode */
  readonly setExitCode?: (code: number) => void;
}

/**
 * `config check FILE`: validates a file on its own (no flags, no environment); prints `ok: FILE`
 * and exits 0, or prints every problem and exits 2.
 * `config print [--config FILE] [flags]`: prints the effective configuration as YAML, secrets masked;
 * exits 2 with every problem when it is invalid.
 */
export function configCommand(options: ConfigCommandOptions = {}): Command {
  const out = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = options.stderr ?? ((text: string) => void process.stderr.write(text));
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));

  const config = new Command("config").description("check or print the bridge configuration");

  config
    .command("check")
    .description("validate a YAML configuration file; exit 0 when valid, 2 with every problem when not")
    .argument("<file>", "the YAML file")
    .action((file: string) => {
      const result = validateConfig({ flags: {}, env: {}, file });
      if (result.ok) {
        out(`ok: ${file}\n`);
        setExitCode(0);
        return;
      }
      err(`${result.problems.map(renderProblem).join("\n")}\n`);
      setExitCode(EXIT_INVALID_CONFIG);
    });

  const print = config
    .command("print")
    .description("print the effective configuration (flags > env > file > defaults) as YAML, secrets masked");
  addConfigOptions(print).action((flags: Record<string, unknown>) => {
    try {
      const effective = resolveConfig({ flags, env: options.env ?? process.env });
      out(stringify(maskSecrets(effective)));
      setExitCode(0);
    } catch (error) {
      const bridgeError = BridgeError.from(error);
      if (bridgeError.code !== ErrorCode.InvalidConfig) throw bridgeError;
      err(`${bridgeError.message}\n`);
      setExitCode(EXIT_INVALID_CONFIG);
    }
  });

  return config;
}
