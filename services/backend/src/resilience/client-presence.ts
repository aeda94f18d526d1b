/**
 * Whether the client that sent a request is still there. Most requests end with the client present, so leaving is
 * watched with plain callbacks, and the AbortSignal (for the embedder and the SDKs' retry waits) is made only when
 * one asks for it: an AbortController and its listeners per request were a measurable share of the gateway's hot
 * path (docs/resilience.md, "The gateway's speed").
 */
import { ClientGone } from "./router";

export class ClientPresence {
  private controller: AbortController | undefined;
  private watchers: ((reason: ClientGone) => void)[] = [];
  private reason: ClientGone | undefined;

  /** The client left (its connection closed before the answer was complete). */
  get gone(): boolean {
    return this.reason !== undefined;
  }

  /** Aborted with a {@link ClientGone} once the client leaves; made on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Calls `watcher` once the client leaves (at once if it has); returns the unwatching. */
  onGone(watcher: (reason: ClientGone) => void): () => void {
    if (this.reason) {
      watcher(this.reason);
      return () => {};
    }
    this.watchers.push(watcher);
    return () => {
      this.watchers = this.watchers.filter((w) => w !== watcher);
    };
  }

  /** The server saw the client's connection close before the answer was complete. */
  leave(): void {
    if (this.reason) return;
    this.reason = new ClientGone("the client closed the connection");
    this.controller?.abort(this.reason);
    for (const watcher of this.watchers) watcher(this.reason);
    this.watchers = [];
  }
}
