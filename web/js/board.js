// The live board: what an operator watches all shift on the 1920×1080 control-room screen.

import { api, describeError, request } from "./api.js";
import { BoardSocket } from "./boardsocket.js";
import { LineDiagram, deviationClass, loadClass, onLine } from "./diagram.js";
import { $, fill, forgetKeyed, h, keyed } from "./dom.js";
import { fmtAge, fmtDeviation, fmtDuration, fmtNum, fmtTime } from "./fmt.js";
import { clearErrors, showErrors, values } from "./forms.js";
import { getLang, has, t } from "./i18n.js";
import { can } from "./roles.js";
import { hideBanner, initPage, showBanner } from "./shell.js";
import { CrewTile } from "./crewtile.js";
import { watchTimetable } from "./timetable.js";
import { ReplayControl } from "./replay.js";

/** @typedef {import("./types.js").Board} Board */
/** @typedef {import("./types.js").Alarm} Alarm */

const DRIVER_KINDS = new Set(["driver_not_cleared", "no_driver"]); // telemetry/alarm_rules.py
const PRIOS = [1, 2, 3, 4]; // alarm priorities, P1 most urgent (telemetry/alarms.py)
const me = await initPage("board");
if (me) main(me); // not awaited: the page counts as loaded while its data arrives

async function main(me) {
  const line = await api("/api/line");
  const names = Object.fromEntries(line.stations.map((s) => [s.id, s.name]));
  const mayRole = can(me.role, "ackAlarms");
  // a replayed moment is history: nothing on it can be acknowledged, shelved or commented
  const mayAct = () => mayRole && !replay.active;
  let board = null;
  let liveBoard = null; // the newest live board, kept while a replay is shown
  let selected = null;
  let pending = false;

  const diagram = new LineDiagram($("#diagram"), line, (id) => {
    selected = selected === id ? null : id;
    render();
    $(`#trains tr[data-train="${id}"]`)?.scrollIntoView({ block: "nearest" });
  });
  const crew = new CrewTile($("#crew-tile"));
  drawLegend();
  watchTimetable(); // a degraded timetable in force, as a banner

  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  };

  // While the websocket is down the board falls back to polling GET /api/board, so the
  // screen does not freeze behind a proxy that drops websockets; the banner stays up.
  let pollTimer = null;
  let polledOk = false;
  let lastDataMs = null; // wall time the data on screen arrived
  async function pollBoard() {
    try {
      const b = await api("/api/board");
      if (socket.state !== "live") {
        liveBoard = b;
        if (replay.active) return;
        board = b;
        polledOk = true;
        lastDataMs = Date.now();
        document.body.classList.remove("disconnected", "nolive");
        showBanner("conn", t("board.conn_polling"), "warn");
        schedule();
      }
    } catch {
      polledOk = false;
      noLiveData();
    }
    if (socket.state !== "live") pollTimer = setTimeout(pollBoard, 2000);
  }

  /** Neither the websocket nor polling brings data: say so loudly, grey out what is shown
   * (a quiet line and a dead connection must never look alike). */
  function noLiveData() {
    const since = lastDataMs ? t("board.no_live_since", { time: fmtTime(lastDataMs) }) : "";
    showBanner("conn", `${t("board.no_live")}${since}`, "error");
    document.body.classList.add("disconnected", "nolive");
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = setTimeout(pollBoard, 0);
  }

  // a first snapshot is expected within a few seconds of opening the page
  setTimeout(() => {
    if (socket.state !== "live" && !polledOk) {
      noLiveData();
      startPolling();
    }
  }, 3000);

  const socket = new BoardSocket({
    onBoard: (b) => {
      liveBoard = b;
      if (replay.active) return; // live frames are not applied while replaying
      board = b;
      lastDataMs = Date.now();
      schedule();
    },
    onState: (state, info) => {
      const conn = $("#conn");
      conn.dataset.state = state;
      conn.textContent = t(`board.conn_${state}`);
      if (state === "reconnecting") {
        if (!polledOk) noLiveData();
        startPolling();
      } else if (state === "live") {
        clearTimeout(pollTimer);
        pollTimer = null;
        polledOk = false;
        hideBanner("conn");
        document.body.classList.remove("disconnected", "nolive");
      }
    },
    stillSignedIn: async () => {
      try {
        await request("/api/auth/me");
        return true;
      } catch (err) {
        return err.status !== 401; // 401: request() is taking us to the login page
      }
    },
  });
  const replay = new ReplayControl($("#replay-bar"), $("#replay-opener"), $("#replay-record"), {
    onShow: (r) => {
      board = r.board;
      schedule();
    },
    onLive: () => {
      board = liveBoard;
      schedule();
    },
    alarmText: (a) => msg(a),
  });
  socket.start();

  window.addEventListener("langchange", () => {
    diagram.relabel();
    drawLegend();
    drawAlarmTools();
    for (const sel of ["#kpis", "#headways", "#alarms tbody", "#trains tbody", "#subs tbody"]) {
      forgetKeyed($(sel));
    }
    crew.render();
    replay.draw();
    if (replay.last) replay.renderRecord(replay.last);
    render();
  });

  // --- rendering -------------------------------------------------------------------------
  function render() {
    if (!board) return;
    const issues = driverIssues(board.alarms);
    diagram.update(board, issues, selected, faultPriorities(board.alarms));
    renderKpis(board);
    renderHeadways(board);
    renderAlarms(board);
    renderTrains(board, issues);
    renderSubstations(board);
    crew.setDriverIssues(issues);
    if (board.crew) crew.fromBoard(board.crew);
    $("#field-time").textContent = board.field_ts_ms
      ? t("board.field_time", { time: fmtTime(board.field_ts_ms) })
      : "";
  }

  /** Driver alarms by train, from each alarm's own train and kind fields.
   * @param {Alarm[]} alarms */
  function driverIssues(alarms) {
    const out = new Map();
    for (const a of alarms) {
      if (a.train && DRIVER_KINDS.has(a.kind) && a.active) out.set(a.train, { kind: a.kind, message: msg(a) });
    }
    return out;
  }

  /** Train → priority of its most urgent open fault alarm: the diagram's "!" takes its colour.
   * @param {Alarm[]} alarms */
  function faultPriorities(alarms) {
    const out = new Map();
    for (const a of alarms) {
      if (a.train && a.kind.startsWith("fault:") && a.active) {
        out.set(a.train, Math.min(out.get(a.train) ?? 9, a.priority));
      }
    }
    return out;
  }

  function msg(a) {
    return getLang() === "en" && a.message_en ? a.message_en : a.message;
  }

  /** A KPI tile as a keyed item: rebuilt only when what it shows changes. */
  function tile(id, label, value, extra = "", cls = "") {
    return {
      key: id,
      version: JSON.stringify([label, value, extra, cls]),
      build: () =>
        h(
          "div",
          { class: `kpi ${cls}`, id: `kpi-${id}` },
          h("div", { class: "kpi-label" }, label),
          h("div", { class: "kpi-value" }, value),
          extra ? h("div", { class: "kpi-extra" }, extra) : null,
        ),
    };
  }

  /** @param {Board} b */
  function renderKpis(b) {
    const k = b.kpis;
    const planned = k.trains_planned;
    const inService = k.trains_in_service;
    const hw = k.mean_headway_s;
    const ph = k.planned_headway_s;
    const hwCls = (v) => (v && ph && v > ph * 1.5 ? "warn" : "");
    const al = k.alarms;
    const trips = k.trips; // since monitoring began today
    const lost = trips.lost;
    const punct = k.punctuality_pct;
    keyed($("#kpis"), [
      {
        key: "heading",
        version: t("board.kpis"),
        build: () => h("h2", { id: "kpis-h", class: "visually-hidden" }, t("board.kpis")),
      },
      tile(
        "trains",
        t("kpi.trains"),
        `${inService} / ${planned ?? "—"}`,
        t("kpi.trains_extra"),
        planned && inService < planned ? "warn" : "",
      ),
      tile(
        "headway1",
        t("kpi.headway1"),
        `${fmtDuration(hw["1"])} / ${fmtDuration(ph)}`,
        t("kpi.headway_extra"),
        hwCls(hw["1"]),
      ),
      tile(
        "headway2",
        t("kpi.headway2"),
        `${fmtDuration(hw["2"])} / ${fmtDuration(ph)}`,
        t("kpi.headway_extra"),
        hwCls(hw["2"]),
      ),
      tile(
        "punctuality",
        t("kpi.punctuality"),
        punct === null || punct === undefined ? "—" : `${fmtNum(punct, 1)} %`,
        t("kpi.punctuality_extra"),
        punct !== null && punct !== undefined && punct < 90 ? "warn" : "",
      ),
      tile(
        "lost",
        t("kpi.trips_lost"),
        fmtNum(lost),
        t("kpi.trips_run", { run: trips.run, due: trips.due }),
        lost ? "warn" : "",
      ),
      tile(
        "alarms",
        t("kpi.alarms"),
        `${al.unacked} / ${al.shown}`,
        t("kpi.alarms_extra", { rate: al.rate_per_10min }),
        al.unacked ? "alert" : "",
      ),
      tile(
        "telemetry",
        t("kpi.telemetry"),
        `${k.trains_reporting} / ${line.trains.length}`,
        t("kpi.telemetry_extra", { n: k.stale_substations }),
        k.trains_reporting < line.trains.length || k.stale_substations ? "warn" : "",
      ),
    ]);
    const flood = al.flood;
    if (flood) {
      showBanner(
        "flood",
        t("alarm.flood", { n: al.rate_per_10min, limit: al.flood_per_10min }),
        "error",
      );
    } else hideBanner("flood");
    // dependencies (GET /healthz, the board's `health`): say when the board is degraded or
    // cannot be trusted, naming what failed
    const hl = b.health;
    if (hl && hl.status !== "ok") {
      const bad = Object.entries(hl.dependencies)
        .filter(([, d]) => d.status !== "ok")
        .map(([name, d]) => `${name}: ${t(`health.status.${d.status}`)}`);
      showBanner(
        "health",
        t(hl.live_board ? "health.degraded" : "health.untrusted", { deps: bad.join(", ") }),
        hl.live_board ? "warn" : "error",
      );
    } else hideBanner("health");
  }

  function renderHeadways(b) {
    const rows = b.tracks.map((tr) => ({
      key: tr.track,
      version: JSON.stringify([getLang(), tr]),
      build: () => headwayRow(tr),
    }));
    keyed($("#headways"), rows);
  }

  function headwayRow(tr) {
    const planned = tr.planned_headway_s;
    const chips = tr.headways.map((hw) => {
      const ratio = planned ? Math.min(2, hw.headway_s / planned) : 1;
      return h(
        "li",
        {
          class: `hw ${hw.status}`,
          title: t(`headway.${hw.status}`, { leader: hw.leader, follower: hw.follower }),
        },
        h("span", { class: "hw-pair" }, `${hw.leader}›${hw.follower}`),
        h("span", { class: "hw-val" }, fmtDuration(hw.headway_s)),
        h("span", { class: "hw-bar", style: { width: `${(ratio * 50).toFixed(0)}%` } }),
      );
    });
    return h(
      "div",
      { class: "hw-row", dataset: { track: tr.track } },
      h(
        "h3",
        {},
        `${t(`board.track${tr.track}`)} · ${t("headway.mean_vs_plan", {
          mean: fmtDuration(tr.mean_headway_s),
          plan: fmtDuration(planned),
        })}`,
      ),
      chips.length ? h("ul", { class: "hw-list" }, chips) : h("p", { class: "muted" }, t("headway.none")),
    );
  }

  // --- alarms ------------------------------------------------------------------------------
  // Alarm management (ISA-18.2 / EEMUA 191; README "Alarm management"): a priority filter, one
  // row per repeated kind across trains (expandable), suppressed alarms in their own collapsed
  // group (never hidden), bulk acknowledge of what the filter shows, a P1 banner and sound.
  const prioFilter = new Set(PRIOS);
  const expanded = new Set(); // group keys the operator opened
  let nextFocus = null; // focus key to move to once the acknowledged row is redrawn
  let soundOn = localStorage.getItem("metro.alarmSound") === "on";
  let beeper = null;
  let audio = null;

  function drawAlarmTools() {
    fill(
      $("#prio-filter"),
      PRIOS.map((p) =>
        h(
          "button",
          {
            type: "button",
            class: `prio-toggle p${p}`,
            "aria-pressed": String(prioFilter.has(p)),
            dataset: { prio: p },
            title: t(`alarm.p${p}`),
            onclick: () => {
              if (prioFilter.has(p)) prioFilter.delete(p);
              else prioFilter.add(p);
              drawAlarmTools();
              if (board) renderAlarms(board);
            },
          },
          `P${p}`,
        ),
      ),
    );
    const snd = $("#sound-toggle");
    snd.textContent = t(soundOn ? "alarm.sound_on" : "alarm.sound_off");
    snd.setAttribute("aria-pressed", String(soundOn));
  }
  $("#sound-toggle").addEventListener("click", () => {
    soundOn = !soundOn;
    localStorage.setItem("metro.alarmSound", soundOn ? "on" : "off");
    if (soundOn) audioContext()?.resume(); // a user gesture: browsers allow sound from here on
    drawAlarmTools();
    if (board) annunciateP1(board.kpis.alarms.unacked_p1 ?? 0);
  });
  drawAlarmTools();

  function audioContext() {
    if (!audio && window.AudioContext) audio = new AudioContext();
    return audio;
  }

  function beep() {
    const ctx = audioContext();
    if (!ctx || ctx.state !== "running") return;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  }

  /** Banner (and, if switched on, a beep every 2 s) while any P1 is unacknowledged. */
  function annunciateP1(n) {
    if (n > 0) showBanner("p1", t("alarm.p1_banner", { n }), "error");
    else hideBanner("p1");
    const want = n > 0 && soundOn;
    document.body.dataset.alarmSound = want ? "on" : "off"; // what the sound is doing, for tests
    if (want && beeper === null) {
      beep();
      beeper = setInterval(beep, 2000);
    } else if (!want && beeper !== null) {
      clearInterval(beeper);
      beeper = null;
    }
  }

  const isUnacked = (a) => a.state === "unack" || a.state === "rtn_unack";

  $("#ack-filtered").addEventListener("click", async (ev) => {
    const btn = ev.currentTarget;
    btn.disabled = true;
    try {
      await api("/api/alarms/ack", { method: "POST", body: { priorities: [...prioFilter].sort() } });
    } catch (err) {
      btn.after(h("span", { class: "error small" }, ` ${describeError(err)}`));
    } finally {
      btn.disabled = false;
    }
  });

  /** The list's items: groups of one kind across trains (≥ 2 alarms), single alarms, and the
   * suppressed group last. Each item is one row; an open group adds its alarms below it. */
  function alarmItems(alarms) {
    const live = alarms.filter((a) => !a.suppressed);
    const suppressed = alarms.filter((a) => a.suppressed);
    const byKind = new Map();
    for (const a of live) {
      if (!a.train) continue;
      const k = `${a.priority}|${a.kind}`;
      byKind.set(k, [...(byKind.get(k) ?? []), a]);
    }
    const items = [];
    const done = new Set();
    for (const a of live) {
      const k = `${a.priority}|${a.kind}`;
      const members = a.train ? byKind.get(k) : null;
      if (members && members.length > 1) {
        if (done.has(k)) continue;
        done.add(k);
        items.push(groupItem(`g:${k}`, members));
      } else items.push(alarmItem(a, ""));
    }
    if (suppressed.length) {
      const key = "suppressed";
      const open = expanded.has(key);
      items.push({
        key,
        version: JSON.stringify([getLang(), suppressed.length, open]),
        build: () => suppressedRow(suppressed.length, open),
      });
      if (open) for (const a of suppressed) items.push(alarmItem(a, "child"));
    }
    return items;
  }

  function alarmItem(a, cls) {
    return {
      key: a.id,
      version: JSON.stringify([
        mayAct(), a.state, a.active, a.acked_by, a.raised_ms, a.comments.length, a.suppressed,
        a.annunciations, a.shelve_request, cls, msg(a),
      ]),
      build: () => alarmRow(a, cls),
    };
  }

  function groupItem(key, members) {
    const open = expanded.has(key);
    const unacked = members.filter(isUnacked).length;
    const out = [
      {
        key,
        version: JSON.stringify([getLang(), open, unacked, members.map((a) => [a.id, a.raised_ms])]),
        build: () => groupRow(key, members, open, unacked),
      },
    ];
    if (open) for (const a of members) out.push(alarmItem(a, "child"));
    return out;
  }

  function toggleButton(key, open) {
    return h(
      "button",
      {
        type: "button",
        class: "btn small ghost",
        "aria-expanded": String(open),
        dataset: { focusKey: `toggle-${key}`, toggle: key }, // a view control, not an action on alarms
        onclick: () => {
          if (expanded.has(key)) expanded.delete(key);
          else expanded.add(key);
          renderAlarms(board);
        },
      },
      open ? `▾ ${t("alarm.collapse")}` : `▸ ${t("alarm.expand")}`,
    );
  }

  function groupRow(key, members, open, unacked) {
    const first = members[0];
    const trains = members.map((a) => a.train).join(", ");
    return h(
      "tr",
      {
        class: `group p${first.priority} ${unacked ? "has-unacked" : ""}`,
        dataset: { group: key, count: members.length },
      },
      h("td", {}, h("span", { class: `prio p${first.priority}` }, `P${first.priority}`)),
      h("td", { class: "num" }, fmtTime(Math.max(...members.map((a) => a.raised_ms)))),
      h(
        "td",
        { title: members.map(msg).join("\n") },
        msg(first),
        h("span", { class: "count" }, `×${members.length}`),
        " ",
        h("span", { class: "muted small" }, t("alarm.group_count", { n: members.length, trains })),
      ),
      h("td", {}, unacked ? t("alarm.unacked_n", { n: unacked }) : t("alarm.state_acked")),
      h("td", { class: "actions" }, toggleButton(key, open)),
    );
  }

  function suppressedRow(n, open) {
    return h(
      "tr",
      { class: "suppressed-head", dataset: { group: "suppressed", count: n } },
      h("td", {}),
      h("td", {}),
      h("td", {}, t("alarm.suppressed_group", { n })),
      h("td", {}),
      h("td", { class: "actions" }, toggleButton("suppressed", open)),
    );
  }

  function renderAlarms(b) {
    const k = b.kpis.alarms;
    $("#alarm-summary").textContent = t("alarm.summary", { shown: k.shown, unacked: k.unacked, shelved: k.shelved });
    // replayed shelved alarms are listed under the replay's record, not fetched live
    if (replay.active) shelvedBox.hidden = true;
    shelvedBtn.hidden = replay.active || (!k.shelved && shelvedBox.hidden);
    shelvedBtn.textContent = t("alarm.shelved_list", { n: k.shelved });
    const alarms = [...b.alarms]
      .filter((a) => prioFilter.has(a.priority))
      .sort((x, y) => x.priority - y.priority || y.raised_ms - x.raised_ms);
    const toAck = alarms.filter((a) => !a.suppressed && isUnacked(a)).length;
    const bulk = $("#ack-filtered");
    bulk.hidden = !mayAct() || toAck === 0;
    bulk.textContent = t("alarm.ack_filtered", { n: toAck });
    // the banner and sound follow the live line, also while a past moment is replayed
    const live = replay.active ? liveBoard?.kpis.alarms : k;
    annunciateP1(live?.unacked_p1 ?? 0);
    const focused = nextFocus ?? document.activeElement?.dataset?.focusKey;
    const body = $("#alarms tbody");
    // Rows whose alarm did not change stay the same DOM nodes, and stay put unless the order
    // changed: a redraw between an operator's mouse-down and mouse-up would lose the click.
    const items = alarmItems(alarms).flat();
    keyed(
      body,
      items.length
        ? items
        : [
            {
              key: "none",
              version: t("alarm.none"),
              build: () => h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("alarm.none"))),
            },
          ],
    );
    if (focused && document.activeElement?.dataset?.focusKey !== focused) {
      const el = body.querySelector(`[data-focus-key="${focused}"]`);
      if (el) {
        el.focus();
        nextFocus = null;
      }
    }
  }

  // shelved alarms are off the list; this shows them, with who, why and until when
  const shelvedBtn = $("#shelved-toggle");
  const shelvedBox = $("#shelved");
  shelvedBtn.addEventListener("click", () => {
    const open = shelvedBox.hidden;
    shelvedBox.hidden = !open;
    shelvedBtn.setAttribute("aria-expanded", String(open));
    if (open) loadShelved();
  });

  async function loadShelved() {
    let alarms;
    try {
      alarms = (await api("/api/alarms?include_shelved=true")).alarms.filter((a) => a.state === "shelved");
    } catch (err) {
      fill(shelvedBox, h("p", { class: "error" }, describeError(err)));
      return;
    }
    fill(
      shelvedBox,
      alarms.length
        ? h(
            "ul",
            {},
            alarms.map((a) =>
              h(
                "li",
                { dataset: { alarm: a.id, key: a.key } },
                h("span", { class: `prio p${a.priority}` }, t(`alarm.p${a.priority}`)),
                " ",
                msg(a),
                h(
                  "div",
                  { class: "small muted" },
                  t("alarm.shelved_by", {
                    user: a.shelved_by ?? "—",
                    reason: a.shelve_reason ?? "",
                    until: fmtTime(a.shelved_until_ms),
                  }),
                ),
                mayAct()
                  ? h(
                      "button",
                      {
                        type: "button",
                        class: "btn small",
                        onclick: async (ev) => {
                          try {
                            await api(`/api/alarms/${a.id}/unshelve`, { method: "POST" });
                            loadShelved();
                          } catch (err) {
                            ev.target.after(h("span", { class: "error small" }, ` ${describeError(err)}`));
                          }
                        },
                      },
                      t("alarm.unshelve"),
                    )
                  : null,
              ),
            ),
          )
        : h("p", { class: "muted" }, t("alarm.none_shelved")),
    );
  }

  /** "P1" and its word ("khẩn"), the word in a span a narrow screen leaves out (the title keeps it). */
  function prioBadge(p) {
    const [code, ...word] = t(`alarm.p${p}`).split(" ");
    return h("span", { class: `prio p${p}`, title: t(`alarm.p${p}`) }, code, word.length ? h("span", { class: "prio-word" }, ` ${word.join(" ")}`) : null);
  }

  function alarmRow(a, cls = "") {
    const unacked = isUnacked(a);
    const actions = [];
    const req = a.shelve_request;
    // one button per action; focusKey lets focus come back to it after a redraw
    const button = (action, cls, label, onclick) =>
      h(
        "button",
        { type: "button", class: `btn small ${cls}`, dataset: { focusKey: `${action}-${a.id}`, action, alarm: a.id }, onclick },
        t(label),
      );
    if (mayAct()) {
      if (unacked) actions.push(button("ack", "primary", "alarm.ack", () => ack(a)));
      if (req && req.user !== me.user) {
        actions.push(button("approve", "primary", "alarm.approve_shelve", () => approveShelve(a)));
      }
      actions.push(
        button("shelve", "", "alarm.shelve", () => openShelve(a)),
        button("comment", "ghost", "alarm.comment", () => openComment(a)),
      );
    }
    const state = a.suppressed ? t("alarm.state_suppressed") : t(`alarm.state_${a.state}`);
    const who = a.acked_by ? ` · ${a.acked_by}` : "";
    const pending = req ? t("alarm.request_pending", { user: req.user, reason: req.reason }) : "";
    const notes = a.comments.map((c) => `${fmtTime(c.ts_ms)} ${c.user}: ${c.text}`);
    const title = [msg(a), pending, ...notes].filter(Boolean).join("\n");
    return h(
      "tr",
      {
        class: `alarm p${a.priority} ${a.state} ${a.active ? "" : "cleared"} ${a.suppressed ? "suppressed" : ""} ${cls}`,
        dataset: { alarm: a.id, key: a.key, state: a.state, suppressed: String(a.suppressed) },
      },
      h("td", {}, prioBadge(a.priority)),
      h("td", { class: "num" }, fmtTime(a.raised_ms)),
      h(
        "td",
        { title },
        msg(a),
        a.annunciations >= 3
          ? h("span", { class: "count chatter", title: t("alarm.chatter", { n: a.annunciations }) }, `×${a.annunciations}`)
          : null,
        notes.length ? h("span", { class: "comment-count" }, `✎ ${t("alarm.comments_n", { n: notes.length })}`) : null,
      ),
      h("td", { title: pending || state + who }, h("span", { class: "state" }, pending ? `⏳ ${pending}` : state + who)),
      h("td", { class: "actions" }, actions, h("span", { class: "row-error", role: "alert" })),
    );
  }

  function rowError(a, err) {
    const el = $(`#alarms tr[data-alarm="${a.id}"] .row-error`);
    if (el) el.textContent = describeError(err);
  }

  /** Where focus goes after acknowledging ``a``: the next row's Acknowledge (or its first
   * button); the acknowledged row's Shelve if it is the last. Never the page. */
  function focusAfterAck(a) {
    const row = $(`#alarms tr[data-alarm="${a.id}"]`);
    for (let r = row?.nextElementSibling; r; r = r.nextElementSibling) {
      const btn = r.querySelector("[data-action=ack]") ?? r.querySelector("button[data-focus-key]");
      if (btn) return btn.dataset.focusKey;
    }
    return `shelve-${a.id}`;
  }

  async function ack(a) {
    const target = focusAfterAck(a);
    try {
      await api(`/api/alarms/${a.id}/ack`, { method: "POST" });
      nextFocus = target;
      $(`#alarms [data-focus-key="${target}"]`)?.focus();
    } catch (err) {
      rowError(a, err);
    }
  }

  async function approveShelve(a) {
    try {
      await api(`/api/alarms/${a.id}/shelve/approve`, { method: "POST" });
    } catch (err) {
      rowError(a, err);
    }
  }

  function setupDialog(dialog) {
    for (const b of dialog.querySelectorAll("[data-close]")) {
      b.addEventListener("click", () => dialog.close());
    }
  }
  setupDialog($("#shelve-dialog"));
  setupDialog($("#comment-dialog"));
  let dialogAlarm = null;

  function openShelve(a) {
    dialogAlarm = a;
    const form = $("#shelve-form");
    form.reset();
    clearErrors(form);
    $("#shelve-what").textContent = msg(a);
    const high = a.priority <= 2;
    $("#shelve-hint").hidden = !high;
    $("#shelve-hint").textContent = high ? t("alarm.shelve_hint_high") : "";
    $("#shelve-minutes").max = high ? "60" : "480";
    $("#shelve-dialog").showModal();
    $("#shelve-reason").focus();
  }

  function openComment(a) {
    dialogAlarm = a;
    const form = $("#comment-form");
    form.reset();
    clearErrors(form);
    $("#comment-what").textContent = msg(a);
    $("#comment-dialog").showModal();
    $("#comment-text").focus();
  }

  $("#shelve-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const v = values(form);
    const minutes = Number(v.minutes);
    const problems = [];
    // P1/P2: the server's rules (telemetry/alarms.py reason_problem) decide; these only say early
    const high = dialogAlarm.priority <= 2;
    if (v.reason.trim().length < (high ? 15 : 3)) {
      problems.push({ field: "reason", msg: t(high ? "alarm.err_reason_high" : "alarm.err_reason") });
    }
    if (!(minutes > 0 && minutes <= (high ? 60 : 480))) {
      problems.push({ field: "minutes", msg: t(high ? "alarm.err_minutes_high" : "alarm.err_minutes") });
    }
    if (problems.length) {
      showErrors(form, { fields: problems });
      return;
    }
    try {
      await api(`/api/alarms/${dialogAlarm.id}/shelve`, {
        method: "POST",
        body: { reason: v.reason, minutes },
      });
      $("#shelve-dialog").close();
    } catch (err) {
      showErrors(form, err);
    }
  });

  $("#comment-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const v = values(form);
    if (!v.text) {
      showErrors(form, { fields: [{ field: "text", msg: t("form.required") }] });
      return;
    }
    try {
      await api(`/api/alarms/${dialogAlarm.id}/comment`, {
        method: "POST",
        body: { text: v.text },
      });
      $("#comment-dialog").close();
    } catch (err) {
      showErrors(form, err);
    }
  });

  // --- trains table --------------------------------------------------------------------------
  function renderTrains(b, issues) {
    const trains = [...b.trains].sort((x, y) => x.train.localeCompare(y.train));
    keyed(
      $("#trains tbody"),
      trains.map((tr) => {
        const issue = issues.get(tr.train);
        return {
          key: tr.train,
          version: JSON.stringify([tr, issue, selected === tr.train]),
          build: () => trainRow(tr.train),
          update: (row) => fillTrainRow(row, tr, issue),
        };
      }),
    );
  }

  /** A train's row: its button, then six cells that fillTrainRow keeps up to date in place. */
  function trainRow(train) {
    const btn = h(
      "button",
      { type: "button", class: "linklike", onclick: () => { selected = selected === train ? null : train; render(); } },
      train,
    );
    return h(
      "tr",
      { dataset: { train } },
      h("th", { scope: "row" }, btn),
      Array.from({ length: 6 }, () => h("td")),
    );
  }

  function fillTrainRow(row, tr, issue) {
    const stale = tr.stale || tr.online === false;
    const noData = !tr.ts_ms;
    row.className = [noData ? "nodata" : stale ? "stale" : "", selected === tr.train ? "selected" : ""].join(" ");
    row.querySelector("button").setAttribute("aria-pressed", selected === tr.train ? "true" : "false");
    const [where, speed, dev, load, driver, age] = row.querySelectorAll("td");
    const arrow = tr.track === 1 ? "→" : tr.track === 2 ? "←" : "";
    where.textContent = !onLine(tr)
      ? noData
        ? t("board.no_data")
        : t(`train.mode_${tr.mode}`)
      : `${arrow} ${tr.station ? names[tr.station] ?? tr.station : `${names[tr.prev_station] ?? "…"} – ${names[tr.next_station] ?? "…"}`}`;
    where.title = where.textContent; // whole on hover where a short screen shortens it (…)
    speed.textContent = noData ? "—" : fmtNum(tr.speed_kmh);
    speed.className = "num";
    dev.textContent = fmtDeviation(tr.deviation_s);
    dev.className = `num ${deviationClass(tr.deviation_s)}`;
    load.textContent = noData ? "—" : `${fmtNum(tr.load_pct)}%`;
    load.className = `num ${loadClass(tr.load_pct)}`;
    const faults = tr.faults;
    fill(
      driver,
      tr.driver ?? "—",
      issue ? h("span", { class: "tag driver-tag", title: issue.message }, t(`train.${issue.kind}`)) : null,
      faults.length ? h("span", { class: "tag fault-tag", title: faults.join(", ") }, faults.join(" ")) : null,
    );
    age.textContent = noData ? "—" : fmtAge(tr.age_s);
    age.className = `num ${stale ? "stale-age" : ""}`;
  }

  // --- substations -------------------------------------------------------------------------
  function renderSubstations(b) {
    const now = b.now_ms;
    const rows = b.substations.map((ss) => {
      const age = ss.ts_ms ? (now - ss.ts_ms) / 1000 : null;
      const status = ss.stale
        ? t("ss.stale", { age: fmtAge(age) })
        : ss.alarms.length
          ? ss.alarms.map(violationText).join(", ")
          : t("ss.ok");
      return {
        key: ss.id,
        // what the row shows: readings as displayed, so sensor noise below the shown digits
        // does not rebuild it
        version: JSON.stringify([
          fmtNum(ss.values.dc_bus_voltage),
          fmtNum(ss.values.feeder_current),
          fmtNum(ss.values.transformer_temp, 1),
          ss.bits,
          ss.stale,
          status,
          getLang(),
        ]),
        build: () => substationRow(ss, status),
      };
    });
    keyed($("#subs tbody"), rows);
  }

  function substationRow(ss, status) {
    const v = ss.values;
    const bits = ss.bits;
    const dot = (on, label) =>
      h("span", { class: `bit ${on ? "on" : "off"}`, title: `${label}: ${on ? t("ss.closed") : t("ss.open")}` }, on ? "●" : "○");
    return h(
      "tr",
      { class: ss.stale ? "stale" : ss.alarms.length ? "alarm" : "", dataset: { ss: ss.id } },
      h("th", { scope: "row", title: ss.name }, ss.id, h("span", { class: "muted small" }, ` ${ss.name}`)),
      h("td", { class: "num" }, fmtNum(v.dc_bus_voltage)),
      h("td", { class: "num" }, fmtNum(v.feeder_current)),
      h("td", { class: "num" }, fmtNum(v.transformer_temp, 1)),
      h(
        "td",
        {},
        dot(bits.main_breaker_closed, t("ss.main")),
        dot(bits.feeder1_closed, t("ss.f1")),
        dot(bits.feeder2_closed, t("ss.f2")),
      ),
      h("td", {}, status),
    );
  }

  function violationText(v) {
    const [point, kind] = v.split(":");
    const p = has(`ss.point_${point}`) ? t(`ss.point_${point}`) : point;
    const k = has(`ss.kind_${kind}`) ? t(`ss.kind_${kind}`) : kind;
    return `${p} ${k}`;
  }

  function drawLegend() {
    const item = (cls, key) => h("li", {}, h("span", { class: `swatch ${cls}` }), t(key));
    fill(
      $("#legend"),
      h(
        "ul",
        { "aria-label": t("legend.title") },
        item("dev-early", "legend.early"),
        item("dev-ok", "legend.ok"),
        item("dev-late", "legend.late"),
        item("dev-verylate", "legend.verylate"),
        item("stale", "legend.stale"),
        item("load-low", "legend.load_low"),
        item("load-mid", "legend.load_mid"),
        item("load-high", "legend.load_high"),
        h("li", {}, h("span", { class: "badge-sample fault" }, "!"), t("legend.fault")),
        h(
          "li",
          { class: "legend-prio" },
          t("legend.priority"),
          " ",
          // the same colour for the list's badge and the diagram's "!" of each priority
          PRIOS.map((p) => h("span", { class: `badge-sample fault p${p}`, title: t(`alarm.p${p}`) }, "!")),
        ),
        h("li", {}, h("span", { class: "badge-sample driver" }, "D"), t("legend.driver")),
      ),
    );
  }
}
