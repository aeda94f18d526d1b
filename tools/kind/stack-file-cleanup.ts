import { isMap, parseDocument } from "yaml";

/** Options under which the `yaml` library prints a stack file as it was written (see tools/promote/stack-file-edit.ts). */
const AS_WRITTEN = { flowCollectionPadding: false, lineWidth: 0 } as const;

/** What `npm run kind -- up` adds to `Pulumi.<stack>.yaml` on a first run, and `down --state` takes out again. */
export const WRITTEN_BY_UP = { salt: "encryptionsalt", password: "ai-assistant:grafanaAdminPassword" } as const;

/**
 * The stack file without the `encryptionsalt` that `pulumi stack select --create` wrote and the encrypted Grafana
 * password that `up` set: both belong to one person's passphrase and must not be committed. Other keys, comments
 * and layout stay as they were; a plain (unencrypted) password is somebody's own setting and stays too.
 */
export function withoutLocalSecrets(text: string): { text: string; removed: string[] } {
  const document = parseDocument(text);
  const removed: string[] = [];
  if (document.has(WRITTEN_BY_UP.salt)) {
    document.delete(WRITTEN_BY_UP.salt);
    removed.push(WRITTEN_BY_UP.salt);
  }
  const config = document.get("config");
  if (isMap(config)) {
    const password = config.get(WRITTEN_BY_UP.password);
    if (isMap(password) && password.has("secure")) {
      config.delete(WRITTEN_BY_UP.password);
      removed.push(WRITTEN_BY_UP.password);
    }
  }
  return { text: removed.length === 0 ? text : document.toString(AS_WRITTEN), removed };
}
