/**
 * The browser chat when client API keys are on: the frontend marks what it forwards with its token, so the chat is
 * answered without a key; a key sent through the frontend still counts as that key; a token a client sends itself is
 * dropped, and a frontend without the token gets the backend's 401.
 */
import { createHash } from "crypto";
import { AddressInfo } from "net";
import { join } from "path";
import { createFrontendServer, FrontendServer } from "../../../services/frontend/src/server";
import { readSettings } from "../../../services/frontend/src/settings";
import { json, metricValue, RunningBackend, startBackend, USER_HELLO } from "../backend/support/backend";

const TOKEN = "f".repeat(64);
const KEY = "sk-ci-0123456789abcdef0123456789abcdef";

async function startFrontend(env: Record<string, string>): Promise<{ frontend: FrontendServer; url: string }> {
  const frontend = createFrontendServer({ ...readSettings(env), publicDir: join(__dirname, "..", "..", "..", "services", "frontend", "public") });
  await new Promise<void>((resolve) => frontend.server.listen(0, "127.0.0.1", resolve));
  return { frontend, url: `http://127.0.0.1:${(frontend.server.address() as AddressInfo).port}` };
}

const chat = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(USER_HELLO) });

beforeAll(() => jest.spyOn(process.stdout, "write").mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

describe("given a backend with client API keys and the frontend's token", () => {
  let backend: RunningBackend;
  let withToken: { frontend: FrontendServer; url: string };
  let withoutToken: { frontend: FrontendServer; url: string };
  beforeAll(async () => {
    const keys = JSON.stringify([{ name: "ci", sha256: createHash("sha256").update(KEY).digest("hex") }]);
    backend = await startBackend({ LLM_PROVIDER: "mock", CLIENT_API_KEYS: keys, FRONTEND_TOKEN: TOKEN });
    withToken = await startFrontend({ BACKEND_URL: backend.url, BACKEND_TOKEN: TOKEN });
    withoutToken = await startFrontend({ BACKEND_URL: backend.url });
  });
  afterAll(async () => {
    await Promise.all([withToken, withoutToken].map(({ frontend }) => frontend.shutdown(0)));
    await backend.close();
  });

  it("when the browser chat asks through the frontend without a key, then it is answered", async () => {
    const response = await chat(withToken.url);
    expect(response.status).toBe(200);
    expect((await json(response)).choices[0].message.content).toEqual(expect.any(String));
  });

  it("when a client sends a key through the frontend, then the backend counts it for that key", async () => {
    expect((await chat(withToken.url, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect(await metricValue(backend.url, "ai_assistant_api_key_requests_total", { key: "ci" })).toBe(1);
  });

  it("when a frontend has no token, then a keyless request gets the backend's 401, even with a token the client made up", async () => {
    expect((await chat(withoutToken.url)).status).toBe(401);
    expect((await chat(withoutToken.url, { "x-assistant-frontend-token": TOKEN })).status).toBe(401);
  });
});
