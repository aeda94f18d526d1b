/**
 * Builds a service image from its real Dockerfile, as the stack does (components/images), with the builder that
 * is there. The stack builds with BuildKit, which reads `<Dockerfile>.dockerignore` next to the Dockerfile; Docker's
 * legacy builder reads only `.dockerignore` at the context root. So the harness stages the context: exactly the
 * files the per-Dockerfile allowlist lets in (contextFiles, the same reading of it that tags the stack's images),
 * plus the Dockerfile, and builds that. Whatever the image needs and the allowlist leaves out fails the build here
 * as it would in the stack's build.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "fs";
import { dirname, join } from "path";
import { contextDigest, contextFiles } from "../../../components/images/context-digest";
import { imageSize } from "./docker";
import { run } from "./process";

export interface ServiceImage {
  reference: string;
  bytes: number;
  seconds: number;
  files: number;
}

export interface BuildOptions {
  /** The repository root: the build context of both services. */
  context: string;
  /** Relative to the context, e.g. services/backend/Dockerfile. */
  dockerfile: string;
  /** The NODE_IMAGE build argument. */
  nodeImage: string;
  /** Repository part of the tag; the tag is the stack's content tag of the context. */
  repository: string;
  stagingDir: string;
}

export async function buildServiceImage(options: BuildOptions): Promise<ServiceImage> {
  const began = Date.now();
  const files = contextFiles(options.context, options.dockerfile);
  const staged = mkdtempSync(join(options.stagingDir, "context-"));
  try {
    for (const file of [...files, options.dockerfile]) {
      mkdirSync(dirname(join(staged, file)), { recursive: true });
      copyFileSync(join(options.context, file), join(staged, file));
    }
    const tag = contextDigest(options.context, { dockerfile: options.dockerfile, nodeImage: options.nodeImage });
    const reference = `${options.repository}:${tag}`;
    await run(
      "docker",
      ["build", "--network", "host", "--build-arg", `NODE_IMAGE=${options.nodeImage}`, "-f", join(staged, options.dockerfile), "-t", reference, staged],
      // The legacy builder: no buildx here, and it needs no `# syntax=` frontend image from a registry.
      { env: { ...process.env, DOCKER_BUILDKIT: "0" }, echo: options.repository.split("/").pop(), echoOnly: /^Step \d+\/\d+/ },
    );
    return { reference, bytes: await imageSize(reference), seconds: (Date.now() - began) / 1000, files: files.length };
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}
