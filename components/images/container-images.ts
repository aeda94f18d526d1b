import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { join, resolve } from "path";
import { formatImageReference } from "../../config/image";
import { ImageBuild, ImageSource, isImageBuild } from "../../config/image-build";
import { contextDigest } from "./context-digest";
import { PART_OF } from "../../lib/labels";

/** Where built images are pushed: ECR in the stack's AWS account. */
export interface EcrSettings {
  /** AWS provider of the stack's account and region. */
  provider: aws.Provider;
  /** Repository names start with it, e.g. `ai-assistant/prod`; one repository per built workload. */
  repositoryPrefix: string;
  /** Immutable tags, and repositories that a `pulumi destroy` does not empty. */
  production: boolean;
  /** Untagged images are deleted after this many days. */
  untaggedImageExpiryDays: number;
}

/** A registry that exists already (kind's local registry, a company registry), with the engine's own login. */
export interface ExistingRegistrySettings {
  /** Host and optional port, e.g. `localhost:5001`. */
  server: string;
  /** Each workload is pushed to `<server>/<repositoryPrefix>/<workload>`. */
  repositoryPrefix: string;
}

export interface ContainerImagesArgs {
  /** Each workload's image source (`frontend`, `backend`, …): a registry reference, or a build. */
  images: Record<string, ImageSource>;
  /**
   * The registry builds are pushed to: the stack's ECR, or an existing registry. Without one, builds stay in the
   * local Docker engine, for a laptop cluster that loads them from there (`kind load docker-image`).
   */
  registry?: EcrSettings | ExistingRegistrySettings;
}

function isEcr(registry: EcrSettings | ExistingRegistrySettings): registry is EcrSettings {
  return "provider" in registry;
}

/**
 * The image each workload runs. A registry reference passes through as written; a build is built with
 * @pulumi/docker, tagged with a digest of its context, pushed to ECR, and run by digest, so that what runs is
 * exactly what was pushed. `digests` is what a later stack pins to promote the same bytes.
 */
export class ContainerImages extends pulumi.ComponentResource {
  /** Per workload: the reference the pods run. */
  public readonly references: Record<string, pulumi.Output<string>> = {};
  /** Per workload: a version for the `app.kubernetes.io/version` label: the tag, or the digest's first 12 digits. */
  public readonly versions: Record<string, string | undefined> = {};
  /** Per workload whose digest is known (pushed builds, digest-pinned references): `repository@sha256:…`. */
  public readonly digests: pulumi.Output<Record<string, string>>;
  public readonly repositories: Record<string, aws.ecr.Repository> = {};

  constructor(name: string, args: ContainerImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ai-assistant:images:ContainerImages", name, {}, opts);
    const digests: Record<string, pulumi.Output<string>> = {};
    for (const [workload, source] of Object.entries(args.images)) {
      // Every workload's repository, built or not: a stack that moves from its own builds to promoted digests (and
      // back) keeps its repositories and the images in them, rather than deleting them in the same `pulumi up`.
      if (args.registry && isEcr(args.registry)) this.ecrRepository(`${name}-${workload}`, workload, args.registry);
      if (!isImageBuild(source)) {
        this.references[workload] = pulumi.output(formatImageReference(source));
        this.versions[workload] = source.tag ?? (source.digest && shortDigest(source.digest));
        if (source.digest) digests[workload] = pulumi.output(`${source.repository}@${source.digest}`);
        continue;
      }
      const tag = this.tagFor(workload, source.build);
      this.versions[workload] = tag;
      if (args.registry) {
        const image = isEcr(args.registry)
          ? this.pushToEcr(`${name}-${workload}`, workload, source.build, tag, args.registry)
          : this.pushToRegistry(`${name}-${workload}`, workload, source.build, tag, args.registry);
        this.references[workload] = image.repoDigest;
        digests[workload] = image.repoDigest;
      } else {
        const image = new docker.Image(`${name}-${workload}`, {
          imageName: `${PART_OF}/${workload}:${tag}`,
          build: dockerBuild(source.build),
          skipPush: true,
        }, { parent: this });
        // A local image ID is no registry digest: the pods use the tag the cluster was loaded with.
        this.references[workload] = image.imageName;
      }
    }
    this.digests = pulumi.output(digests);
    this.registerOutputs({ digests: this.digests });
  }

  private tagFor(workload: string, build: ImageBuild): string {
    try {
      return contextDigest(resolve(build.context), { dockerfile: build.dockerfile, platforms: build.platforms, target: build.target });
    } catch {
      throw new pulumi.ResourceError(`expected the build context of ${workload} (${build.context}) to be a directory`, this);
    }
  }

  /** Pushes with the credentials of the Docker engine's own login (none for kind's local registry). */
  private pushToRegistry(name: string, workload: string, build: ImageBuild, tag: string, registry: ExistingRegistrySettings): docker.Image {
    return new docker.Image(name, {
      imageName: `${registry.server}/${registry.repositoryPrefix}/${workload}:${tag}`,
      build: dockerBuild(build),
      registry: { server: registry.server },
    }, { parent: this });
  }

  /**
   * The workload's ECR repository and its lifecycle policy. Production: immutable tags, never emptied by Pulumi
   * (`forceDelete` off) and left in the account by a destroy (`retainOnDelete`), with the images that ran.
   */
  private ecrRepository(name: string, workload: string, registry: EcrSettings): aws.ecr.Repository {
    const awsOpts = { parent: this, provider: registry.provider, retainOnDelete: registry.production };
    const repository = new aws.ecr.Repository(name, {
      name: `${registry.repositoryPrefix}/${workload}`,
      imageTagMutability: registry.production ? "IMMUTABLE" : "MUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: !registry.production,
    }, awsOpts);
    this.repositories[workload] = repository;
    new aws.ecr.LifecyclePolicy(name, {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Expire untagged images after ${registry.untaggedImageExpiryDays} days`,
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: registry.untaggedImageExpiryDays },
            action: { type: "expire" },
          },
        ],
      }),
    }, awsOpts);
    return repository;
  }

  private pushToEcr(name: string, workload: string, build: ImageBuild, tag: string, registry: EcrSettings): docker.Image {
    const awsOpts = { parent: this, provider: registry.provider };
    const repository = this.repositories[workload];
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, awsOpts);
    return new docker.Image(name, {
      imageName: pulumi.interpolate`${repository.repositoryUrl}:${tag}`,
      build: dockerBuild(build),
      registry: { server: repository.repositoryUrl, username: token.userName, password: pulumi.secret(token.password) },
    }, { parent: this });
  }
}

/** `sha256:<64 hex>` -> its first 12 hex digits, as `docker images` shows an ID: a version label for a pinned digest. */
function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

function dockerBuild(build: ImageBuild): docker.types.input.DockerBuild {
  return {
    context: build.context,
    // The provider reads `dockerfile` relative to the working directory; the config says relative to the context.
    dockerfile: join(build.context, build.dockerfile),
    platform: build.platforms[0],
    target: build.target,
    builderVersion: "BuilderBuildKit",
  };
}
