/**
 * The frontend server's settings, from its environment. A missing or invalid value stops the server at start with
 * one line naming the variable, what was expected and what was found.
 */
import { join } from "path";
import { AlbOidcSettings, AlbOidcSettingsError, readAlbOidcSettings } from "./alb-oidc";

export interface FrontendSettings {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on; all interfaces when absent. */
  host?: string;
  /** Base URL of the backend that `/v1/*` is forwarded to. */
  backendUrl: URL;
  /** Seconds in-flight requests (streams) get to finish after SIGTERM, before connections are closed. */
  shutdownGraceSeconds: number;
  /** Directory of the chat page's static files. */
  publicDir: string;
  /** With the ALB's OIDC sign-in in front: how to check its signature (alb-oidc.ts). */
  albOidc?: AlbOidcSettings;
}

/** The port of a local run; the container image and the stack set PORT=8080. */
export const DEFAULT_PORT = 3000;
/** Where `npm run backend` listens. */
export const DEFAULT_BACKEND_URL = "http://127.0.0.1:8080";
/** Kubernetes gives a pod 30 s by default between SIGTERM and SIGKILL; leave a margin for the process exit. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;

export class SettingsError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new SettingsError(`${name}: expected an integer from ${min} to ${max}, found ${JSON.stringify(raw)}`);
  }
  return value;
}

function backendUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`BACKEND_URL: expected an http(s) URL such as ${DEFAULT_BACKEND_URL}, found ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SettingsError(`BACKEND_URL: expected an http(s) URL such as ${DEFAULT_BACKEND_URL}, found ${JSON.stringify(raw)}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new SettingsError(`BACKEND_URL: expected a base URL without query, fragment or credentials, found ${JSON.stringify(raw)}`);
  }
  return url;
}

function albOidc(env: NodeJS.ProcessEnv): AlbOidcSettings | undefined {
  try {
    return readAlbOidcSettings(env);
  } catch (err) {
    throw err instanceof AlbOidcSettingsError ? new SettingsError(err.message) : err;
  }
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): FrontendSettings {
  return {
    port: integer(env, "PORT", DEFAULT_PORT, 0, 65535),
    host: env.HOST || undefined,
    backendUrl: backendUrl(env.BACKEND_URL || DEFAULT_BACKEND_URL),
    shutdownGraceSeconds: integer(env, "SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE_SECONDS, 0, 3600),
    // From source this is services/frontend/public; in the image, dist/ sits beside public/ just the same.
    publicDir: env.PUBLIC_DIR || join(__dirname, "..", "public"),
    albOidc: albOidc(env),
  };
}
