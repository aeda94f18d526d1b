/**
 * `npm run feature`: refusals in one line each, edits that keep the stack file's comments and layout, and, in a
 * scratch git repository, a dry run that writes nothing, a rollout written with the stack's diff, a change of
 * percentage that touches the flag file alone (no pod rollout), a rollback to the state of the last committed version
 * that differed, and an edit that does not render refused before anything is written.
 */
import { spawnSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { feature, FeatureError, featureOptions, flagIn, previousRollout, withRollout } from "../../tools/feature";
import { PROJECT_DIR } from "../support/render";
import { ScratchRepo, scratchRepo } from "../support/scratch-repo";

describe("the command line", () => {
  it.each([
    [["--stack", "prod", "--feature", "darkMode", "--percentage", "25"], 'unknown flag "darkMode": expected one of knowledge, responseCache, semanticCache, model'],
    [["--stack", "prod", "--feature", "knowledge", "--percentage", "150"], '--percentage must be a whole number from 0 to 100, found "150"'],
    [["--stack", "prod", "--feature", "knowledge", "--percentage=-5"], '--percentage must be a whole number from 0 to 100, found "-5"'],
    [["--stack", "prod", "--feature", "knowledge", "--percentage", "12.5"], '--percentage must be a whole number from 0 to 100, found "12.5"'],
    [["--stack", "prod", "--feature", "knowledge"], "--percentage (or --rollback) is required"],
    [["--stack", "prod", "--feature", "knowledge", "--rollback", "--percentage", "5"], "--rollback takes no --percentage or --model"],
    [["--stack", "prod", "--feature", "knowledge", "--percentage", "5", "--model", "x"], "--model goes with --feature model only"],
  ])("refuses %j with one line", (args, line) => {
    expect(() => featureOptions(args)).toThrow(FeatureError);
    try {
      featureOptions(args);
    } catch (error) {
      expect((error as Error).message.split("\n")).toEqual([expect.stringContaining(line)]);
    }
  });

  it("accepts a rollout, a model rollout and a rollback", () => {
    expect(featureOptions(["--stack", "prod", "--feature", "knowledge", "--percentage", "25", "--dry-run", "--verbose"])).toEqual({
      stack: "prod", feature: "knowledge", percentage: 25, model: undefined, rollback: false, dryRun: true, verbose: true,
    });
    expect(featureOptions(["--stack", "prod", "--feature", "model", "--percentage", "0", "--model", "qwen2.5:7b"])).toMatchObject({ feature: "model", percentage: 0, model: "qwen2.5:7b" });
    expect(featureOptions(["--stack", "dev", "--feature", "semanticCache", "--rollback"])).toMatchObject({ rollback: true, percentage: undefined });
  });

  it("given an unknown flag, when run as `npm run feature` does, then it prints one line, exits 1 and leaves the stack file as it was", () => {
    const before = readFileSync(join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    const run = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/feature.ts", "--stack", "prod", "--feature", "darkMode", "--percentage", "25"], { cwd: PROJECT_DIR, encoding: "utf8" });
    expect({ status: run.status, stderr: run.stderr, stdout: run.stdout }).toEqual({
      status: 1,
      stderr: 'feature: unknown flag "darkMode": expected one of knowledge, responseCache, semanticCache, model\n',
      stdout: "",
    });
    expect(readFileSync(join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")).toBe(before);
  });
});

describe("editing the stack file", () => {
  const FILE = "config:\n  # the phase\n  ai-assistant:phase: mock\n";

  it("adds the section and the flag after everything else, changes a percentage in place keeping its comment, and removing the last flag restores the file byte for byte", () => {
    const rolled = withRollout(FILE, "Pulumi.x.yaml", "knowledge", { percentage: 25 });
    expect(rolled).toBe(`${FILE}  ai-assistant:features:\n    knowledge:\n      percentage: 25\n`);
    const commented = rolled.replace("      percentage: 25\n", "      # a quarter first\n      percentage: 25\n");
    expect(withRollout(commented, "Pulumi.x.yaml", "knowledge", { percentage: 50 })).toBe(commented.replace("percentage: 25", "percentage: 50"));
    const two = withRollout(rolled, "Pulumi.x.yaml", "model", { model: "b", percentage: 10 });
    expect(flagIn(two, "model")).toEqual({ model: "b", percentage: 10 });
    expect(withRollout(withRollout(two, "Pulumi.x.yaml", "model", undefined), "Pulumi.x.yaml", "knowledge", undefined)).toBe(FILE);
  });

  it("refuses a file the yaml library would reformat, rather than rewrite it", () => {
    expect(() => withRollout("config:\n  ai-assistant:phase:   mock\n", "Pulumi.x.yaml", "knowledge", { percentage: 5 })).toThrow(/formatting the yaml library would rewrite/);
  });
});

describe("in a scratch repository, on the dev stack", () => {
  let repo: ScratchRepo;
  let original: string;
  const lines: string[] = [];
  const file = () => join(repo.dir, "Pulumi.dev.yaml");
  const run = (options: Partial<Parameters<typeof feature>[0]>) => {
    lines.length = 0;
    return feature({ stack: "dev", feature: "knowledge", rollback: false, dryRun: false, verbose: false, projectDir: repo.dir, log: (line) => lines.push(line), ...options });
  };
  const commit = (message: string) => repo.run("git", ["commit", "--quiet", "--all", "--message", message]);

  beforeAll(() => {
    repo = scratchRepo();
    original = readFileSync(file(), "utf8");
  });
  afterAll(() => repo?.remove());

  it("when a rollout is dry-run, then it prints the change and the stack's diff and writes nothing", async () => {
    const diff = await run({ percentage: 25, dryRun: true });
    expect(lines[0]).toBe("dry run, nothing written: Pulumi.dev.yaml: features.knowledge not rolled out (on wherever the stack turns it on) -> 25%");
    expect(diff).toContain("**+ create** `ConfigMap ai-assistant-dev/backend-feature-flags`");
    expect(diff).toContain('`data.FEATURE_FLAGS_FILE`: `(unset)` -> `"/etc/ai-assistant/flags/flags.json"`');
    expect(readFileSync(file(), "utf8")).toBe(original);
  }, 60_000);

  it("when it is run, then the file gains the flag with every other line kept, and the change is printed", async () => {
    await run({ percentage: 25 });
    expect(lines[0]).toBe("Pulumi.dev.yaml: features.knowledge not rolled out (on wherever the stack turns it on) -> 25%");
    expect(readFileSync(file(), "utf8")).toBe(`${original}  ai-assistant:features:\n    knowledge:\n      percentage: 25\n`);
    commit("knowledge to 25%");
    // From here, rolling back means returning to the original file.
    expect(previousRollout(repo.dir, "Pulumi.dev.yaml", "knowledge", { percentage: 25 })).toMatchObject({ rollout: undefined });
  }, 60_000);

  it("when the percentage changes, then only the flag file changes: the Deployment and its settings stay (no pod rollout)", async () => {
    const diff = await run({ percentage: 50, verbose: true });
    expect(lines).toContain("Pulumi.dev.yaml: features.knowledge is 25%");
    expect(lines).toContainEqual(expect.stringContaining('"fractional":[["on",50],["off",50]]'));
    expect(diff).toContain("ConfigMap ai-assistant-dev/backend-feature-flags");
    expect(diff).not.toContain("Deployment ai-assistant-dev/backend");
    expect(diff).not.toContain("backend-settings");
    commit("knowledge to 50%");
  }, 60_000);

  it("when it is rolled back, then the flag returns to the last committed state that differs (25%), byte for byte", async () => {
    await run({ rollback: true, verbose: true });
    expect(lines).toContainEqual(expect.stringMatching(/^last committed state that differs: [0-9a-f]{12} \(knowledge to 25%\): 25%$/));
    expect(lines).toContain("Pulumi.dev.yaml: features.knowledge 50% -> 25%");
    expect(readFileSync(file(), "utf8")).toBe(`${original}  ai-assistant:features:\n    knowledge:\n      percentage: 25\n`);
  }, 60_000);

  it("when a flag never changed, then a rollback is refused: there is no earlier state", () => {
    expect(() => previousRollout(repo.dir, "Pulumi.dev.yaml", "semanticCache", undefined)).toThrow(
      "features.semanticCache is not rolled out (on wherever the stack turns it on) in every committed version of Pulumi.dev.yaml: there is no earlier state to roll back to",
    );
  });

  it("when the edit would not render (a model the stack does not serve), then nothing is written and the render's reason is given", async () => {
    const before = readFileSync(file(), "utf8");
    await expect(run({ feature: "model", percentage: 10, model: "gpt-4o" })).rejects.toThrow(/nothing written: .*features\.model\.model: expected a second model, and this stack serves only mock/s);
    expect(readFileSync(file(), "utf8")).toBe(before);
  }, 60_000);

  it("when the value is already what is asked, then nothing is rendered or written", async () => {
    writeFileSync(file(), readFileSync(file(), "utf8"));
    expect(await run({ percentage: 25 })).toBe("");
    expect(lines).toEqual(["Pulumi.dev.yaml: features.knowledge is already 25%: nothing to change"]);
  });
});
