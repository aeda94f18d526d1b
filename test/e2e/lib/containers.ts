/** Containers the harness starts: each named with the run's prefix, all removed at the end. */
import { dockerRunArgs, PodRun } from "./pod";
import { freePort, waitFor200 } from "./http";
import { run } from "./process";

export interface Started {
  name: string;
  url: string;
  /** Seconds from `docker run` to the startup probe's path answering 200. */
  startSeconds: number;
}

export class Containers {
  private readonly names: string[] = [];
  constructor(private readonly prefix: string) {}

  /** Runs `pod` with `image`, its port on a free host port, and waits for its startup probe's path. */
  async start(pod: PodRun, role: string, image: string, env: Record<string, string> = {}): Promise<Started> {
    const name = `${this.prefix}-${role}`;
    const port = await freePort();
    const began = Date.now();
    this.names.push(name);
    await run("docker", dockerRunArgs(pod, name, image, { ...env, [pod.portEnv]: String(port) }));
    const url = `http://127.0.0.1:${port}`;
    const startup = pod.probes.find((p) => p.kind === "startup") ?? pod.probes[0];
    if (!startup) throw new Error(`${pod.deployment} has no HTTP probe to wait for`);
    try {
      await waitFor200(`${url}${startup.path}`, 60_000, () => this.running(name));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await this.logs(name)}`);
    }
    return { name, url, startSeconds: (Date.now() - began) / 1000 };
  }

  async running(name: string): Promise<boolean> {
    const result = await run("docker", ["inspect", "--format", "{{.State.Running}}", name], { allowFailure: true });
    return result.stdout.trim() === "true";
  }

  /** The container's last `tail` log lines (`all`: every line, e.g. where polling has logged many requests). */
  async logs(name: string, tail: number | "all" = 30): Promise<string> {
    const result = await run("docker", ["logs", "--tail", String(tail), name], { allowFailure: true });
    return (result.stdout + result.stderr).trim();
  }

  /** Runs `node -e script` inside the container, as its user. */
  async node(name: string, script: string): Promise<string> {
    return (await run("docker", ["exec", name, "node", "-e", script])).stdout;
  }

  async removeAll(): Promise<void> {
    if (this.names.length > 0) await run("docker", ["rm", "-f", ...this.names], { allowFailure: true });
  }
}
