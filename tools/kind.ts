/**
 * `npm run kind -- up [--no-forward]` and `npm run kind -- down [--state]`: the dev stack on a kind cluster with
 * kind's local registry, start to finish, as docs/kind.md describes. Every step looks before it changes anything,
 * so `up` can be run again after a failure or a reboot and picks up where it stopped; `down` removes the cluster and
 * the registry, and with `--state` the stack's Pulumi state too. Each step prints how long it usually takes, then
 * how long it took. A failing step stops the script with the command that failed and what to do next.
 */
import { parseArgs } from "util";
import { passphraseEnv } from "./kind/passphrase";
import { readKindSettings } from "./kind/settings";
import { KindError, missingTools, Runner, shellRunner } from "./kind/shell";
import { downSteps, stateBackend, Step, StepContext, UP_STEPS } from "./kind/steps";

const PROJECT_DIR = process.cwd();
const STACK = "dev";
const TOOLS = ["docker", "kind", "kubectl", "pulumi"] as const;
const LOCAL_PORT = 3000;

const USAGE = [
  "usage: npm run kind -- up [--no-forward]    create or reuse the registry and the cluster, deploy the dev stack, open the chat",
  "       npm run kind -- down [--state]       delete the cluster and the registry (--state: the stack's Pulumi state too)",
  "  PULUMI_CONFIG_PASSPHRASE: the passphrase of the stack's secrets (asked for on a terminal when unset)",
].join("\n");

class UsageError extends Error {}

function options(args: string[]) {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { "no-forward": { type: "boolean" }, state: { type: "boolean" }, help: { type: "boolean" } } });
    if (values.help) return undefined;
    const [command, ...rest] = positionals;
    if ((command !== "up" && command !== "down") || rest.length > 0) throw new UsageError(`expected up or down, found ${positionals.join(" ") || "nothing"}`);
    if (command === "up" && values.state) throw new UsageError("--state goes with down");
    if (command === "down" && values["no-forward"]) throw new UsageError("--no-forward goes with up");
    return { command, forward: !values["no-forward"], state: Boolean(values.state) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function seconds(ms: number): string {
  const total = Math.round(ms / 1000);
  return total < 60 ? `${total} s` : `${Math.floor(total / 60)} min ${total % 60} s`;
}

function runSteps(steps: Step[], context: StepContext, verb: string): void {
  steps.forEach((step, index) => {
    const label = `[${index + 1}/${steps.length}] ${step.title}`;
    context.say(`${label} (usually ${step.expected})`);
    const started = Date.now();
    let outcome: string;
    try {
      outcome = step.run(context);
    } catch (error) {
      if (!(error instanceof KindError)) throw error;
      const after = steps.length - index - 1;
      throw new KindError(
        `${verb} stopped at step ${index + 1}/${steps.length}, ${step.title}: ${error.message}\n` +
          `${after === 0 ? "It was the last step." : `The ${after} step(s) after it did not run.`} Fix the cause and run \`npm run kind -- ${verb}\` again: the steps that are done are skipped.`,
      );
    }
    context.say(`    ${outcome} (${seconds(Date.now() - started)})`);
  });
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env, makeRunner: (env: NodeJS.ProcessEnv) => Runner = (runEnv) => shellRunner(PROJECT_DIR, runEnv)): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const parsed = options(args);
    if (!parsed) {
      say(USAGE);
      return 0;
    }
    const needed = parsed.command === "up" ? TOOLS : parsed.state ? ["docker", "kind", "pulumi"] : ["docker", "kind"];
    const missing = missingTools(needed, env.PATH);
    if (missing.length > 0) throw new KindError(`not on PATH: ${missing.join(", ")}. Install them first (docs/kind.md lists where from).`);
    const settings = readKindSettings(PROJECT_DIR, STACK);
    const secrets = parsed.command === "up" ? await passphraseEnv(env, Boolean(process.stdin.isTTY)) : {};
    const runEnv = { ...env, ...secrets, PULUMI_BACKEND_URL: stateBackend(PROJECT_DIR), PULUMI_SKIP_UPDATE_CHECK: "true" };
    const context: StepContext = { run: makeRunner(runEnv), settings, projectDir: PROJECT_DIR, say };
    const started = Date.now();
    if (parsed.command === "down") {
      runSteps(downSteps({ state: parsed.state }), context, parsed.state ? "down --state" : "down");
      say(`Removed in ${seconds(Date.now() - started)}.${parsed.state ? "" : " The stack's Pulumi state is kept (.pulumi-state/); `npm run kind -- down --state` removes it too."}`);
      return 0;
    }
    runSteps(UP_STEPS, context, "up");
    const url = `http://localhost:${LOCAL_PORT}`;
    say(`Ready in ${seconds(Date.now() - started)}. The chat: ${url} (ask something: a mock answer streams in, badged "mock").`);
    const forward = ["--context", settings.context, "-n", settings.namespace, "port-forward", "svc/frontend", `${LOCAL_PORT}:8080`];
    if (!parsed.forward) {
      say(`To open it: kubectl ${forward.join(" ")}`);
      return 0;
    }
    say(`Forwarding ${url} to svc/frontend; Ctrl-C stops it (the cluster keeps running: \`npm run kind -- down\` removes it).`);
    context.run("kubectl", forward, { live: true, mayFail: true });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`kind: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof KindError) {
      process.stderr.write(`kind: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
