/** Documents to text: each supported type read as a person would read it, and unreadable ones refused with a reason. */
import { chunkText } from "../../../../services/backend/src/knowledge/chunk";
import { contentTypeOf, DocumentError, extractText } from "../../../../services/backend/src/knowledge/extract";
import { makePdf } from "../support/pdf";

describe("given documents of each supported type", () => {
  it("when Markdown is read, then its text is kept and its first heading is the title", async () => {
    const read = await extractText(Buffer.from("Intro line\n\n# Backups runbook\n\nRestore from S3.\n\n\n\nDone."), "text/markdown");
    expect(read).toEqual({ text: "Intro line\n\n# Backups runbook\n\nRestore from S3.\n\nDone.", title: "Backups runbook" });
  });

  it("when HTML is read, then scripts, styles and link targets are dropped and <title> is the title", async () => {
    const html = `<html><head><title>On-call &amp; escalation</title><style>p{color:red}</style></head>
      <body><script>steal()</script><h1>Pager</h1><p>Call the <a href="https://x.example/secret">duty engineer</a> first.</p></body></html>`;
    const read = await extractText(Buffer.from(html), "text/html");
    expect(read.title).toBe("On-call & escalation");
    expect(read.text).toContain("duty engineer first.");
    expect(read.text).not.toMatch(/steal|color|x\.example/);
  });

  it("when a PDF is read, then the text of every page and its metadata title come out", async () => {
    const pdf = makePdf(["The database is backed up every night to S3.", "Restores take about ten minutes."], "Backup policy");
    const read = await extractText(pdf, "application/pdf");
    expect(read.title).toBe("Backup policy");
    expect(read.text).toMatch(/backed up every night to S3\.[\s\S]*Restores take about ten minutes\./);
  });

  it.each([
    ["bytes that are not a PDF", Buffer.from("hello"), "application/pdf" as const, /not a PDF/],
    ["a PDF cut short", makePdf(["Some text"]).subarray(0, 60), "application/pdf" as const, /malformed|could not be read/],
    ["text that is not UTF-8", Buffer.from([0x48, 0xff, 0xfe, 0x49]), "text/plain" as const, /not valid UTF-8/],
    ["a document with no text", Buffer.from("   \n\n "), "text/markdown" as const, /no text/],
  ])("when it is %s, then it is refused with a reason", async (_, bytes, type, reason) => {
    const failure = extractText(bytes, type);
    await expect(failure).rejects.toBeInstanceOf(DocumentError);
    await expect(failure).rejects.toThrow(reason);
  });

  it("when a file name is looked up, then only supported extensions have a content type", () => {
    expect(["a.md", "b.TXT", "c.htm", "d.pdf", "e.docx", "noext"].map(contentTypeOf)).toEqual(["text/markdown", "text/plain", "text/html", "application/pdf", undefined, undefined]);
  });
});

describe("given a long text", () => {
  const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} says something about topic ${i % 7}.`);
  const text = sentences.join(" ");

  it("when it is chunked, then passages stay under the size, overlap their neighbours and together cover every sentence", () => {
    const chunks = chunkText(text, 300, 80);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(300);
    for (let i = 1; i < chunks.length; i++) {
      const tail = chunks[i - 1].slice(-40);
      expect(chunks[i].includes(tail.slice(tail.indexOf(" ") + 1, tail.indexOf(" ") + 15))).toBe(true);
    }
    for (const sentence of sentences) expect(chunks.some((c) => c.includes(sentence))).toBe(true);
  });

  it("when the overlap is 0 or the text has no spaces, then chunking still ends and loses nothing", () => {
    expect(chunkText(text, 300, 0).join(" ").replace(/\s+/g, " ")).toBe(text);
    const blob = "x".repeat(1000);
    expect(chunkText(blob, 300, 50).every((c) => c.length <= 300)).toBe(true);
  });
});
