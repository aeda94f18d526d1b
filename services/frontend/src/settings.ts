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
  /** Seconds after SIGTERM during which readiness fails but requests are still served (endpoints catch up). */
  shutdownDrainSeconds: number;
  /** Seconds in-flight requests (streams) get to finish after the drain, before connections are closed. */
  shutdownGraceSeconds: number;
  /** Largest request body forwarded to the backend; larger ones get 413 here, without reaching it. */
  maxBodyBytes: number;
  /** Directory of the chat page's static files. */
  publicDir: string;
  /** Sent to the backend as `X-Assistant-Frontend-Token` (client API keys on: the chat has no key of its own). */
  backendToken?: string;
  /** With the ALB's OIDC sign-in in front: how to check its signature (alb-oidc.ts). */
  albOidc?: AlbOidcSettings;
}

/** The port of a local run; the container image and the stack set PORT=8080. */
export const DEFAULT_PORT = 3000;
/** Where `npm run backend` listens. */
export const DEFAULT_BACKEND_URL = "http://127.0.0.1:8080";
/** Kubernetes gives a pod 30 s by default between SIGTERM and SIGKILL; leave a margin for the process exit. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;
/** Same as the backend's (lib/backend-env.ts; test/services/frontend/settings.test.ts keeps them equal). */
export const DEFAULT_SHUTDOWN_DRAIN_SECONDS = 5;
/** The backend's default MAX_BODY_BYTES (1 MiB): a body it would refuse is refused here already. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

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

/** A URL as an error message may show it: no userinfo, no query. */
const shown = (raw: string) => JSON.stringify(raw.replace(/(\/\/)[^/?#@\s]*@/, "$1[redacted]@").replace(/\?.*$/, "?[redacted]"));

function backendUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`BACKEND_URL: expected an http(s) URL such as ${DEFAULT_BACKEND_URL}, found ${shown(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SettingsError(`BACKEND_URL: expected an http(s) URL such as ${DEFAULT_BACKEND_URL}, found ${shown(raw)}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new SettingsError(`BACKEND_URL: expected a base URL without query, fragment or credentials, found ${shown(raw)}`);
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
    shutdownDrainSeconds: integer(env, "SHUTDOWN_DRAIN_SECONDS", DEFAULT_SHUTDOWN_DRAIN_SECONDS, 0, 300),
    shutdownGraceSeconds: integer(env, "SHUTDOWN_GRACE_SECONDS", DEFAULT_SHUTDOWN_GRACE_SECONDS, 0, 3600),
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024),
    // From source this is services/frontend/public; in the image, dist/ sits beside public/ just the same.
    publicDir: env.PUBLIC_DIR || join(__dirname, "..", "public"),
    backendToken: env.BACKEND_TOKEN || undefined,
    albOidc: albOidc(env),
  };
}
