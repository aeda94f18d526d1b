import { createInterface } from "readline";
import { KindError } from "./shell";

/**
 * The passphrase of the stack's secrets. A stack on a local (file) backend encrypts its secrets with a key derived
 * from this passphrase and the `encryptionsalt` that `pulumi stack select --create` writes into `Pulumi.<stack>.yaml`;
 * Pulumi reads it from `PULUMI_CONFIG_PASSPHRASE` (or `PULUMI_CONFIG_PASSPHRASE_FILE`) and otherwise asks on a
 * terminal. Asked once here, it is passed to every `pulumi` call, so `pulumi up` never stops to ask mid-way.
 */
export async function passphraseEnv(env: NodeJS.ProcessEnv, interactive: boolean): Promise<NodeJS.ProcessEnv> {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE) return {};
  if (!interactive) {
    throw new KindError(
      "PULUMI_CONFIG_PASSPHRASE is not set and there is no terminal to ask on: export PULUMI_CONFIG_PASSPHRASE=<a passphrase you will keep> " +
        "(it encrypts the dev stack's secrets, such as Grafana's password; the same one is needed for every later up and down --state)",
    );
  }
  const passphrase = await askHidden("Pulumi passphrase for the dev stack's secrets (PULUMI_CONFIG_PASSPHRASE; keep it for later runs): ");
  if (passphrase === "") throw new KindError("an empty passphrase would leave the stack's secrets unprotected: set PULUMI_CONFIG_PASSPHRASE or type one");
  return { PULUMI_CONFIG_PASSPHRASE: passphrase };
}

function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    // Echo nothing of what is typed after the question.
    const write = (terminal as unknown as { _writeToOutput: (text: string) => void })._writeToOutput.bind(terminal);
    let asked = false;
    (terminal as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text: string) => {
      if (!asked) write(text);
    };
    terminal.question(question, (answer) => {
      process.stdout.write("\n");
      terminal.close();
      resolve(answer);
    });
    asked = true;
  });
}
