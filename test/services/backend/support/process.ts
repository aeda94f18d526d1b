/** Runs the real backend entry point (`node -r ./tools/register.js services/backend/src/main.ts`) as a child process. */
import { ServiceProcess, spawnService } from "../../support/service-process";

export type BackendProcess = ServiceProcess;

/** `startMs`: how long it may take to listen (several processes starting at once on a busy machine need longer). */
export const spawnBackend = (env: Record<string, string>, startMs?: number): Promise<BackendProcess> => spawnService("backend", env, startMs);
