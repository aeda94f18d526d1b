/**
 * A ConfigMap volume as kubelet writes it, holding the flag file: the visible `flags.json` is a symlink to
 * `..data/flags.json`, `..data` a symlink to a hidden timestamped directory. An update writes a new timestamped
 * directory, points a `..data_tmp` symlink at it, renames `..data_tmp` over `..data` (the atomic step) and removes the
 * old directory (kubernetes pkg/volume/util/atomic_writer.go, AtomicWriter.Write: dataDirName "..data",
 * newDataDirName "..data_tmp"). The file's own path never changes; what it resolves to does.
 */
import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { FeatureRollouts, flagdDocument, FLAGS_FILE_NAME } from "../../../../lib/feature-flags";

export interface FlagVolume {
  dir: string;
  /** The path the backend is given (FEATURE_FLAGS_FILE). */
  file: string;
  /** Publishes new content the way kubelet does. */
  publish(content: string): void;
  /** Publishes the flag file the stack writes for these rollouts. */
  publishRollouts(rollouts: FeatureRollouts): void;
  remove(): void;
}

let generation = 0;

export function flagVolume(initial: FeatureRollouts | string): FlagVolume {
  const dir = mkdtempSync(join(tmpdir(), "flag-volume-"));
  const data = join(dir, "..data");
  const publish = (content: string) => {
    const stamped = `..${new Date().toISOString().replace(/[-:.TZ]/g, "_")}${++generation}`;
    mkdirSync(join(dir, stamped));
    writeFileSync(join(dir, stamped, FLAGS_FILE_NAME), content);
    let previous: string | undefined;
    try {
      previous = readlinkSync(data);
    } catch {
      previous = undefined;
    }
    symlinkSync(stamped, join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), data);
    if (previous) rmSync(join(dir, previous), { recursive: true, force: true });
  };
  const asJson = (rollouts: FeatureRollouts) => JSON.stringify(flagdDocument(rollouts), null, 2);
  publish(typeof initial === "string" ? initial : asJson(initial));
  symlinkSync(join("..data", FLAGS_FILE_NAME), join(dir, FLAGS_FILE_NAME));
  return {
    dir,
    file: join(dir, FLAGS_FILE_NAME),
    publish,
    publishRollouts: (rollouts) => publish(asJson(rollouts)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
