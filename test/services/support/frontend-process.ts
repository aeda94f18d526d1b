/** Runs the frontend's real entry point (`services/frontend/src/main.ts`) as a child process on 127.0.0.1, port 0. */
import { ServiceProcess, spawnService } from "./service-process";

export type FrontendProcess = ServiceProcess;

export const spawnFrontend = (env: Record<string, string>): Promise<FrontendProcess> => spawnService("frontend", env);
