/**
 * The e2e builds its Node base image from what the service Dockerfiles pin. A pin the harness cannot read, or a Node
 * release whose bundled npm it does not know, stops the e2e before any image is built: checked here, in the fast suite.
 */
import { join } from "path";
import { BUNDLED_NPM, nodeImagePin } from "./lib/base-image";

const ROOT = join(__dirname, "../..");

describe("the Node image the service Dockerfiles pin", () => {
  const pins = ["backend", "frontend"].map((service) => nodeImagePin(join(ROOT, "services", service, "Dockerfile")));

  it("is read from both Dockerfiles, digest included, and is the same image", () => {
    expect(pins[0].reference).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
    expect(pins[1]).toEqual(pins[0]);
  });

  it("is a Node release whose bundled npm the stand-in base image knows", () => {
    expect(BUNDLED_NPM[pins[0].nodeVersion]).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
