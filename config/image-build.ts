/**
 * Where a workload's image comes from: a registry reference (see `primitives.ts`), or a build of a local
 * directory that the stack runs and tags itself.
 */
import { existsSync, statSync } from "fs";
import { z } from "zod";
import { ImageReference } from "./image";
import { imageReference } from "./primitives";

const CONTEXT_MESSAGE = "expected a build context directory (relative to the project) such as . (the repository root)";

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export const imageBuildSchema = z.strictObject({
  /** Directory sent to the builder, relative to the project (where `pulumi up` runs). */
  context: z.string({ error: CONTEXT_MESSAGE }).refine(isDirectory, { message: CONTEXT_MESSAGE }),
  /** Dockerfile, relative to the context. */
  dockerfile: z.string({ error: "expected a Dockerfile path such as Dockerfile" }).min(1).default("Dockerfile"),
  /** Target platforms. @pulumi/docker's Image builds one platform per image, so exactly one for now. */
  platforms: z
    .array(z.string().regex(/^linux\/(amd64|arm64)$/, { message: "expected linux/amd64 or linux/arm64" }))
    .min(1, { message: "expected one platform such as linux/amd64" })
    .max(1, { message: "expected one platform: an image built by @pulumi/docker has a single platform" })
    .default(["linux/amd64"]),
  /** Stage of a multi-stage Dockerfile to stop at; the last stage when absent. */
  target: z.string().min(1).optional(),
});

export type ImageBuild = z.output<typeof imageBuildSchema>;

/** A registry reference, or `{build: …}`: the stack builds the image and tags it with a digest of the context. */
export type ImageSource = ImageReference | { build: ImageBuild };

export function isImageBuild(image: ImageSource): image is { build: ImageBuild } {
  // Cross-section rules also see values that failed to parse; never assume an object.
  return typeof image === "object" && image !== null && "build" in image;
}

const imageBuild = z.strictObject({ build: imageBuildSchema });

const ANY_IMAGE = "expected an image reference string, {repository, tag, digest} or {build: {context, …}}";

function looksLikeBuild(value: unknown): boolean {
  return typeof value === "object" && value !== null && "build" in value;
}

/**
 * An image reference or a build. A plain union would answer any mistake inside `build` with "expected one of …";
 * choosing the branch by the `build` key first keeps the message at the field that is wrong.
 */
export const imageSource = z.unknown().transform((value, ctx): ImageSource => {
  const result = looksLikeBuild(value) ? imageBuild.safeParse(value, { reportInput: true }) : imageReference.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    // Neither reference form matched: name the build form too, since it is just as valid here.
    const message = issue.code === "invalid_union" && issue.path.length === 0 ? ANY_IMAGE : issue.message;
    ctx.addIssue({ ...issue, message, input: issue.input } as Parameters<typeof ctx.addIssue>[0]);
  }
  return z.NEVER;
});
