import { formatImageReference, parseImageReference } from "../../config/image";
import { isByteQuantity, isCpuQuantity, parseQuantity } from "../../config/quantity";

describe("Kubernetes quantities", () => {
  it.each([
    ["100m", 0.1],
    ["1.5", 1.5],
    ["2", 2],
    ["128Mi", 128 * 2 ** 20],
    ["4Gi", 4 * 2 ** 30],
    ["1G", 1e9],
    ["1e3", 1000],
  ])("parses %s", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });

  it.each(["", "abc", "1,5", "512MB", " 1", "1 Gi", "Mi"])("rejects %j", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("tells CPU from memory quantities", () => {
    expect(isCpuQuantity("250m")).toBe(true);
    expect(isCpuQuantity("0.0001")).toBe(false);
    expect(isByteQuantity("512Mi")).toBe(true);
    expect(isByteQuantity("500m")).toBe(false);
  });
});

describe("image references", () => {
  const digest = `sha256:${"c".repeat(64)}`;
  it.each([
    ["nginx", { repository: "nginx" }],
    ["ghcr.io/acme/backend:1.2.3", { repository: "ghcr.io/acme/backend", tag: "1.2.3" }],
    ["localhost:5000/backend", { repository: "localhost:5000/backend" }],
    [`acme/backend@${digest}`, { repository: "acme/backend", digest }],
  ])("parses %s", (ref, parsed) => {
    expect(parseImageReference(ref)).toEqual(parsed);
  });

  it.each(["UPPER/case", "acme/backend:", "acme/backend@sha256:short", "acme//backend", "acme/backend:bad tag"])("rejects %s", (ref) => {
    expect(parseImageReference(ref)).toBeUndefined();
  });

  it("keeps tag and digest when formatting, so a reviewer sees the release the digest pins", () => {
    expect(formatImageReference({ repository: "acme/backend", tag: "1.0.0", digest })).toBe(`acme/backend:1.0.0@${digest}`);
    expect(formatImageReference({ repository: "acme/backend" })).toBe("acme/backend");
  });
});
