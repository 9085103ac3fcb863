// The live board over WS /ws/board: a snapshot, then deltas in sequence, heartbeats between.
//
// A gap in ``seq`` (a delta lost) asks the server for a fresh snapshot ({"type": "resync"});
// no snapshot within 3 s, more than ``silenceMs`` without any frame, or a new connection that has
// not delivered its snapshot after ``firstFrameMs`` (a proxy that holds the handshake or blocks
// the frames) means the copy here can no longer be trusted: the socket is closed and opened again (capped exponential backoff with
// jitter), and the server answers a new connection with a fresh snapshot. The page is told the
// state ("connecting", "live", "reconnecting", "signed_out") to show a banner. Close code 4401
// (not signed in) sends the page to the login form instead of retrying.
//
// Train ages: a train in a frame carries its age as of that frame's ts_ms and is resent only
// when it changes, so the age shown is age_s + (latest frame ts − the train's frame ts).

/** @typedef {import("./types.js").Board} Board */
/** @typedef {import("./types.js").BoardFrame} BoardFrame */
/** @typedef {import("./types.js").DeltaFrame} DeltaFrame */

export class BoardSocket {
  /**
   * @param {object} o
   * @param {(board: object, info: {full: boolean}) => void} o.onBoard  each new copy
   * @param {(state: string, info: object) => void} o.onState  connection state changes
   * @param {() => Promise<boolean>} [o.stillSignedIn]  asked after repeated failures
   */
  constructor({
    onBoard,
    onState,
    stillSignedIn,
    path = "/ws/board",
    silenceMs = 12000,
    firstFrameMs = 5000,
  }) {
    this.onBoard = onBoard;
    this.onState = onState;
    this.stillSignedIn = stillSignedIn;
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.silenceMs = silenceMs;
    this.firstFrameMs = firstFrameMs;
    this.openedAt = 0;
    this.gotSnapshot = false;
    this.minDelayMs = 500;
    this.maxDelayMs = 10000;
    this.ws = null;
    this.board = null;
    this.trains = new Map();
    this.seq = null;
    this.attempt = 0;
    this.lastFrameMs = 0;
    this.state = "idle";
    this.timer = null;
    this.watchdog = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this._connect();
    this.watchdog = setInterval(() => this._checkSilence(), 1000);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.timer);
    this.ws?.close(1000, "page closed");
  }

  _setState(state, info = {}) {
    this.state = state;
    this.onState?.(state, { attempt: this.attempt, ...info });
  }

  _connect() {
    if (this.stopped) return;
    this._setState(this.attempt ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._retry("error");
      return;
    }
    this.ws = ws;
    this.seq = null;
    this.resyncing = false;
    this.lastFrameMs = Date.now();
    this.openedAt = Date.now();
    this.gotSnapshot = false;
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.lastFrameMs = Date.now();
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return; // not ours to judge; the watchdog covers a server that only sends junk
      }
      this._handle(msg);
    };
    ws.onclose = async (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === 4401 && this.stillSignedIn && !(await this.stillSignedIn())) {
        this._setState("signed_out");
        return; // the page is on its way to the login form
      }
      this._retry(ev.code === 1000 ? "closed" : `code ${ev.code}`);
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry
    };
  }

  /** @param {BoardFrame} msg */
  _handle(msg) {
    if (typeof msg.ts_ms === "number") this.frameTs = msg.ts_ms;
    if (msg.type === "snapshot") {
      clearTimeout(this.resyncTimer);
      this.resyncing = false;
      this.seq = msg.seq;
      const ts = msg.ts_ms;
      this.board = msg.board;
      this.gotSnapshot = true;
      this.trains = new Map(msg.board.trains.map((tr) => [tr.train, { ...tr, _ts: ts }]));
      this.board.trains = [...this.trains.values()];
      this.attempt = 0;
      this._setState("live");
      this.onBoard(this._view(), { full: true });
    } else if (msg.type === "delta") {
      if (this.seq === null || this.board === null || this.resyncing) return;
      if (msg.seq !== this.seq + 1) {
        this._resync(`seq gap ${this.seq} → ${msg.seq}`);
        return;
      }
      this.seq = msg.seq;
      this._apply(msg);
      this.onBoard(this._view(), { full: false });
    } else if (msg.type === "heartbeat") {
      if (this.state !== "live" && this.board) this._setState("live");
      if (this.board) this.onBoard(this._view(), { full: false, heartbeat: true });
    }
  }

  /** The board with each train's age brought to the latest frame's time. */
  _view() {
    const now = this.frameTs ?? this.board.now_ms;
    const trains = this.board.trains.map((tr) =>
      tr.age_s === null || tr.age_s === undefined || !tr._ts || !now
        ? tr
        : { ...tr, age_s: tr.age_s + Math.max(0, now - tr._ts) / 1000 },
    );
    return { ...this.board, trains, now_ms: now ?? this.board.now_ms };
  }

  /** A delta was lost: ask for a fresh snapshot; reconnect if none comes soon. */
  _resync(reason) {
    this.resyncing = true;
    try {
      this.ws?.send(JSON.stringify({ type: "resync" }));
    } catch {
      this._drop(reason);
      return;
    }
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      if (this.resyncing) this._drop(`${reason}; no snapshot after resync`);
    }, 3000);
  }

  /** @param {DeltaFrame} delta */
  _apply(delta) {
    const ts = delta.ts_ms;
    for (const tr of delta.trains) {
      this.trains.set(tr.train, { ...tr, _ts: ts }); // a train in a delta is whole
    }
    for (const id of delta.removed_trains) this.trains.delete(id);
    const next = { ...this.board, trains: [...this.trains.values()] };
    for (const [k, v] of Object.entries(delta)) {
      if (!["type", "seq", "ts_ms", "trains", "removed_trains"].includes(k)) next[k] = v;
    }
    this.board = next;
  }

  _checkSilence() {
    if (this.ws && !this.gotSnapshot && Date.now() - this.openedAt > this.firstFrameMs) {
      this._drop("no snapshot");
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      if (Date.now() - this.lastFrameMs > this.silenceMs) this._drop("silence");
    }
  }

  /** Give up on this connection (its copy is untrustworthy) and reconnect. */
  _drop(reason) {
    const ws = this.ws;
    this.ws = null;
    try {
      ws?.close(4000, reason.slice(0, 100));
    } catch {
      // closing a broken socket may throw; it is gone either way
    }
    this._retry(reason);
  }

  async _retry(reason) {
    clearTimeout(this.timer);
    this.attempt += 1;
    const base = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (this.attempt - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    this._setState("reconnecting", { reason, delayMs: delay });
    if (this.attempt % 3 === 0 && this.stillSignedIn) {
      // a handshake refused for a lapsed session looks like any other failure
      if (!(await this.stillSignedIn())) return;
    }
    this.timer = setTimeout(() => this._connect(), delay);
  }
}
