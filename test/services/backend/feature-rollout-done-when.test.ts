/**
 * The "a feature can be given to 25% of users and taken back", end to end without a cluster: the dev stack
 * file edited as `npm run feature` edits it, rendered; the backend started with the rendered environment and the
 * rendered flag file in a kubelet-style volume; 1000 callers get knowledge in a 25% share. Taken back to 0%, the
 * next render's flag file is published the way kubelet updates the mounted ConfigMap, the pod template is unchanged
 * (no rollout), and the running backend turns it off for everyone.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { FLAGS_FILE_NAME, FLAGS_MOUNT_DIR } from "../../../lib/feature-flags";
import { withRollout } from "../../../tools/feature";
import { RenderResult } from "../../../tools/render";
import { objectOf, PROJECT_DIR, renderStackDocument } from "../../support/render";
import { postChat, RunningBackend, startBackend } from "./support/backend";
import { flagVolume, FlagVolume } from "./support/flag-volume";
import { renderedBackendEnv } from "./support/rendered-env";

const DEV = readFileSync(join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
const CALLERS = 1000;
const render = (text: string) => renderStackDocument(parse(text).config, "dev");
const flagFileOf = (result: RenderResult) => objectOf(result, "ConfigMap", "backend-feature-flags").data[FLAGS_FILE_NAME] as string;
const podTemplate = (result: RenderResult) => objectOf(result, "Deployment", "backend").spec.template;

describe("given the dev stack with knowledge rolled out to 25%, rendered, and the backend running on what the render holds", () => {
  let at25: RenderResult;
  let volume: FlagVolume;
  let gateway: RunningBackend;
  /** The share of callers whose request had knowledge on, from the request log lines. */
  async function shareOn(round: string, callers = CALLERS): Promise<number> {
    let on = 0;
    for (let i = 0; i < callers; i++) {
      const id = `${round}-${i}`;
      const response = await postChat(gateway.url, { messages: [{ role: "user", content: "hello" }] }, { "x-forwarded-for": `10.1.${i >> 8}.${i & 255}`, "x-request-id": id });
      await response.arrayBuffer();
      const line = gateway.logs.find((l) => l.msg === "request" && l.request_id === id);
      if ((line?.flags as string[] | undefined)?.includes("knowledge=on")) on++;
    }
    return on;
  }

  beforeAll(async () => {
    at25 = await render(withRollout(DEV, "Pulumi.dev.yaml", "knowledge", { percentage: 25 }));
    volume = flagVolume(flagFileOf(at25));
    const env = renderedBackendEnv(at25, "unused");
    // The pod reads the file where the ConfigMap is mounted; here the volume is a temporary directory.
    expect(env.FEATURE_FLAGS_FILE).toBe(`${FLAGS_MOUNT_DIR}/${FLAGS_FILE_NAME}`);
    expect(podTemplate(at25).spec.containers[0].volumeMounts).toContainEqual({ name: "feature-flags", mountPath: FLAGS_MOUNT_DIR, readOnly: true });
    // One trusted proxy (the frontend) names each caller, as in the cluster.
    gateway = await startBackend({ ...env, FEATURE_FLAGS_FILE: volume.file, TRUST_PROXY_HOPS: "1" });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    volume?.remove();
  });

  it(`when ${CALLERS} callers ask, then 25% of them get knowledge, within 5 binomial standard deviations`, async () => {
    const on = await shareOn("at-25");
    expect(Math.abs(on - CALLERS * 0.25)).toBeLessThanOrEqual(5 * Math.sqrt(CALLERS * 0.25 * 0.75));
  }, 60_000);

  it("when it is taken back to 0% and the new flag file reaches the pod as kubelet delivers it, then no pod is rolled and nobody has it", async () => {
    const at0 = await render(withRollout(DEV, "Pulumi.dev.yaml", "knowledge", { percentage: 0 }));
    expect(podTemplate(at0)).toEqual(podTemplate(at25));
    volume.publish(flagFileOf(at0));
    // The provider polls the file about every 5 s: a few callers are asked until it has, then all of them.
    const deadline = Date.now() + 20_000;
    while ((await shareOn(`probe-${Date.now()}`, 40)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await shareOn("at-0")).toBe(0);
  }, 60_000);
});
