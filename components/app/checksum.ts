import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * A short hash of `data`, for a pod annotation: pods read ConfigMaps at start only, so a changed hash in the pod
 * template is what makes Kubernetes roll them when the settings change.
 */
export function checksum(data: pulumi.Input<Record<string, pulumi.Input<string>>>): pulumi.Output<string> {
  return pulumi.output(data).apply((values) => {
    const sorted = Object.keys(values).sort().map((key) => [key, values[key]]);
    return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
  });
}
