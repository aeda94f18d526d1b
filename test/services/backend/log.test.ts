/** The JSON logger: one object per line, in order, written off the event loop in batches, all written once drained. */
import { closeSync, mkdtempSync, openSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { jsonLogger, LINGER_MS } from "../../../services/backend/src/log";

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

  it("when lines come one by one over a few milliseconds, then they are written together in one write, not one write each", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "backend-log-")), "out.log");
    const fd = openSync(file, "w");
    // The module object itself (an `import * as` copy would not be what log.ts calls).
    const writes = jest.spyOn(jest.requireActual<typeof import("fs")>("fs"), "write");
    const writesToFile = () => writes.mock.calls.filter(([target]) => target === fd).length;
    // The wait is a timer: faked, so that a slow machine cannot make it run out between two lines.
    jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick", "queueMicrotask"] });
    try {
      const log = jsonLogger(fd);
      // As requests end: a line, then the event loop turns, then another.
      for (let i = 0; i < 5; i++) {
        log.info("request", { request_id: `r${i}` });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect([writesToFile(), readFileSync(file, "utf8")]).toEqual([0, ""]);
      jest.advanceTimersByTime(LINGER_MS);
      for (let i = 0; i < 10_000 && readFileSync(file, "utf8").split("\n").filter(Boolean).length < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line).request_id)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
      expect(writesToFile()).toBe(1);
      await log.drained();
    } finally {
      jest.useRealTimers();
      writes.mockRestore();
      closeSync(fd);
    }
  });

  it("when drained before the lines' wait is over, then they are written at once", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "backend-log-")), "out.log");
    const fd = openSync(file, "w");
    const log = jsonLogger(fd);
    log.info("stopped");
    await log.drained();
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ level: "info", msg: "stopped" });
    closeSync(fd);
  });
});
