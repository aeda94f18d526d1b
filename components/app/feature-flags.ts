/**
 * The backend's flag file: the stack's `features` as flagd's flag definition (lib/feature-flags.ts), kept in the
 * `backend-feature-flags` ConfigMap and mounted into the backend pod as a directory (components/app/backend.ts).
 * The ConfigMap is left out of the pod template's checksum on purpose: a new percentage reaches the running pods
 * through kubelet's update of the mounted file, without rolling them.
 */
import { featureRollouts, FeaturesConfig } from "../../config/features";
import { flagdDocument, FLAGS_FILE_NAME, FLAGS_MOUNT_DIR } from "../../lib/feature-flags";

/** The path the backend reads (`FEATURE_FLAGS_FILE`): under the mounted directory, never a subPath mount, which kubelet does not update. */
export const FEATURE_FLAGS_FILE = `${FLAGS_MOUNT_DIR}/${FLAGS_FILE_NAME}`;

/** The flag file's text, or undefined when the stack rolls nothing out (then no ConfigMap, no mount, no variable). */
export function featureFlagFile(features: FeaturesConfig): string | undefined {
  const rollouts = featureRollouts(features);
  return rollouts ? `${JSON.stringify(flagdDocument(rollouts), null, 2)}\n` : undefined;
}
