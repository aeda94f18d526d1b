/**
 * Documents to plain text: Markdown and plain text as they are, HTML through html-to-text (a maintained
 * htmlparser2-based converter: scripts, styles and images are dropped, link targets left out), PDF through unpdf
 * (Mozilla's pdf.js in its serverless build, pure JavaScript). PDF parsing runs in a worker thread with a memory
 * cap and a deadline, so a hostile or broken PDF can neither block the gateway's event loop nor exhaust its memory.
 */
import { convert } from "html-to-text";
import { Worker } from "worker_threads";

export const CONTENT_TYPES = ["text/markdown", "text/plain", "text/html", "application/pdf"] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** A document that cannot be read: the client's fault (4xx), with a message saying why. */
export class DocumentError extends Error {
  override name = "DocumentError";
}

export interface Extracted {
  text: string;
  /** A title found in the document itself (first heading, `<title>`, PDF metadata). */
  title?: string;
}

/** The content type of a file name's extension, or undefined when unsupported. */
export function contentTypeOf(fileName: string): ContentType | undefined {
  const ext = fileName.toLowerCase().split(".").pop();
  switch (ext) {
    case "md":
    case "markdown":
      return "text/markdown";
    case "txt":
    case "text":
      return "text/plain";
    case "html":
    case "htm":
      return "text/html";
    case "pdf":
      return "application/pdf";
    default:
      return undefined;
  }
}

function utf8(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DocumentError("the document is not valid UTF-8 text");
  }
}

const collapse = (text: string) => text.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();

function markdownTitle(text: string): string | undefined {
  return /^#\s+(.+?)\s*#*\s*$/m.exec(text)?.[1];
}

function html(bytes: Buffer): Extracted {
  const source = utf8(bytes);
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(source)?.[1]?.trim();
  const text = convert(source, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "script", format: "skip" },
      { selector: "style", format: "skip" },
      { selector: "noscript", format: "skip" },
      { selector: "template", format: "skip" },
      { selector: "nav", format: "skip" },
    ],
  });
  return { text: collapse(text), title: title ? convert(title, { wordwrap: false }) : undefined };
}

// The worker runs plain JavaScript (no TypeScript loader there): it loads unpdf from the path the gateway resolved.
const PDF_WORKER = `
const { parentPort, workerData } = require("worker_threads");
(async () => {
  const { getDocumentProxy, extractText, getMeta } = require(workerData.unpdf);
  const pdf = await getDocumentProxy(new Uint8Array(workerData.bytes));
  const { text } = await extractText(pdf, { mergePages: false });
  let title;
  try { title = (await getMeta(pdf)).info?.Title; } catch {}
  parentPort.postMessage({ pages: text, title: typeof title === "string" ? title : undefined });
})().catch((error) => parentPort.postMessage({ error: String(error && error.message || error) }));
`;

const PDF_DEADLINE_MS = 30_000;
const PDF_WORKER_MEMORY_MB = 256;

function pdf(bytes: Buffer): Promise<Extracted> {
  if (bytes.subarray(0, 5).toString("latin1") !== "%PDF-") return Promise.reject(new DocumentError("the document is not a PDF (it does not start with %PDF-)"));
  return new Promise((resolve, reject) => {
    const worker = new Worker(PDF_WORKER, {
      eval: true,
      workerData: { bytes, unpdf: require.resolve("unpdf") },
      resourceLimits: { maxOldGenerationSizeMb: PDF_WORKER_MEMORY_MB },
      stdout: true,
      stderr: true,
    });
    const deadline = setTimeout(() => {
      void worker.terminate();
      reject(new DocumentError(`the PDF could not be read within ${PDF_DEADLINE_MS / 1000} s`));
    }, PDF_DEADLINE_MS);
    const settle = () => clearTimeout(deadline);
    worker.once("message", (answer: { pages?: string[]; title?: string; error?: string }) => {
      settle();
      void worker.terminate();
      if (answer.error || !answer.pages) return reject(new DocumentError(`the PDF is malformed: ${answer.error ?? "no text layer"}`));
      resolve({ text: collapse(answer.pages.join("\n\n")), title: answer.title?.trim() || undefined });
    });
    worker.once("error", (error) => {
      settle();
      reject(new DocumentError(`the PDF could not be read: ${error.message}`));
    });
  });
}

/** The document's text; throws {@link DocumentError} when it is unreadable or has no text at all. */
export async function extractText(bytes: Buffer, contentType: ContentType): Promise<Extracted> {
  let extracted: Extracted;
  switch (contentType) {
    case "text/markdown": {
      const text = utf8(bytes);
      extracted = { text: collapse(text), title: markdownTitle(text) };
      break;
    }
    case "text/plain":
      extracted = { text: collapse(utf8(bytes)) };
      break;
    case "text/html":
      extracted = html(bytes);
      break;
    case "application/pdf":
      extracted = await pdf(bytes);
      break;
  }
  if (!extracted.text) throw new DocumentError("the document has no text (a scanned PDF needs OCR first)");
  return extracted;
}
