/** The JSON logger: one object per line, in order, written off the event loop, all written once drained. */
import { closeSync, mkdtempSync, openSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { jsonLogger } from "../../../services/backend/src/log";

describe("given the JSON logger writing to a file descriptor", () => {
  it("when many lines are logged at once, then each is one JSON object, in order, and all are there once drained", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "backend-log-")), "out.log");
    const fd = openSync(file, "w");
    const log = jsonLogger(fd);
    for (let i = 0; i < 500; i++) log.info("request", { request_id: `r${i}`, status: 200 });
    log.warn("last", { in_flight: 0 });
    // Logging returned at once: at most the first line is on its way (one write in flight); the rest wait in memory.
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean).length).toBeLessThanOrEqual(1);
    await log.drained();
    closeSync(fd);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(501);
    expect(lines.slice(0, 500).map((l) => l.request_id)).toEqual(Array.from({ length: 500 }, (_, i) => `r${i}`));
    expect(lines[500]).toMatchObject({ level: "warn", msg: "last", in_flight: 0, time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
  });
});
