/**
 * Container image references, as the Docker distribution grammar defines them:
 * `[registry[:port]/]path[:tag][@sha256:digest]`.
 */

/** An image reference split into its parts. */
export interface ImageReference {
  /** Registry host and repository path, e.g. `ghcr.io/acme/backend`. */
  repository: string;
  /** Tag, e.g. `1.4.2`; absent when the reference has none. */
  tag?: string;
  /** Content digest, e.g. `sha256:0123…`; pins the exact bytes that were verified. */
  digest?: string;
}

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::\\d+)?";
const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True when `repository` is a valid repository name (no tag, no digest). */
export function isRepository(repository: string): boolean {
  if (repository.length > 255) return false;
  const [first, ...rest] = repository.split("/");
  // As Docker reads it: the first part names a registry only if it looks like a host (a dot, a port, localhost).
  const isRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  return isRegistry ? DOMAIN_ONLY.test(first) && PATH.test(rest.join("/")) : PATH.test(repository);
}

/** True when `tag` is a valid image tag. */
export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** True when `digest` is a valid sha256 content digest. */
export function isDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/** Splits `ref` into repository, tag and digest; undefined when it does not parse. */
export function parseImageReference(ref: string): ImageReference | undefined {
  const [nameAndTag, digest, ...rest] = ref.split("@");
  if (rest.length > 0 || (digest !== undefined && !isDigest(digest))) return undefined;
  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  const lastSlash = nameAndTag.lastIndexOf("/");
  const tagColon = nameAndTag.indexOf(":", lastSlash + 1);
  const repository = tagColon === -1 ? nameAndTag : nameAndTag.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : nameAndTag.slice(tagColon + 1);
  if (!isRepository(repository) || (tag !== undefined && !isTag(tag))) return undefined;
  return { repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * The reference a pod spec uses. With a digest the runtime pulls exactly those bytes; the tag is kept beside it
 * only so that a reviewer can read which release it is.
 */
export function formatImageReference(image: ImageReference): string {
  return `${image.repository}${image.tag ? `:${image.tag}` : ""}${image.digest ? `@${image.digest}` : ""}`;
}
