// Formatting for people: times in Asia/Ho_Chi_Minh whatever the browser's zone, numbers in the
// UI's language. APIs speak UTC milliseconds (or ISO strings with an offset).

import { locale, t } from "./i18n.js";

export const TZ = "Asia/Ho_Chi_Minh";
const cache = new Map();

function formatter(kind) {
  const key = `${locale()}|${kind}`;
  let f = cache.get(key);
  if (!f) {
    const opts = {
      time: { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" },
      hm: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
      date: { day: "2-digit", month: "2-digit", year: "numeric" },
      day: { weekday: "short", day: "2-digit", month: "2-digit" },
      dm: { day: "2-digit", month: "2-digit" },
      datetime: {
        day: "2-digit",
        month: "2-digit",
        year: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      },
    }[kind];
    f = new Intl.DateTimeFormat(locale(), { ...opts, timeZone: TZ });
    cache.set(key, f);
  }
  return f;
}

function toDate(v) {
  if (v === null || v === undefined || v === "") return null;
  const d = typeof v === "number" ? new Date(v) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 14:05:09 (Hanoi time). */
export function fmtTime(v) {
  const d = toDate(v);
  return d ? formatter("time").format(d) : "—";
}

/** 14:05 (Hanoi time). */
export function fmtHm(v) {
  const d = toDate(v);
  return d ? formatter("hm").format(d) : "—";
}

/** 22/11/2025 14:05:09 (Hanoi time). */
export function fmtDateTime(v) {
  const d = toDate(v);
  return d ? formatter("datetime").format(d) : "—";
}

// Day and month are put together here: Vietnamese CLDR data writes a day and month without a
// year as "22-11", which planners misread ("07-02" as July); dd/mm is what they write
const dayMonth = (d) => {
  const p = Object.fromEntries(formatter("dm").formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}`;
};

/** Axis labels for a time span of ``spanS`` seconds: 14:05:09, 14:05, 22/11 14:05 or 22/11. */
export function fmtAxis(v, spanS) {
  const d = toDate(v);
  if (!d) return "";
  if (spanS <= 600) return formatter("time").format(d);
  if (spanS <= 86400) return formatter("hm").format(d);
  if (spanS <= 4 * 86400) return `${dayMonth(d)} ${formatter("hm").format(d)}`;
  return dayMonth(d);
}

/** 22/11 (Hanoi date, no year), in every language. */
export function fmtDm(v) {
  const d = toDate(v);
  return d ? dayMonth(d) : "—";
}

/** 22/11/2025 (Hanoi date). */
export function fmtDate(v) {
  const d = toDate(v);
  return d ? formatter("date").format(d) : "—";
}

/** "T7, 22/11" for a calendar date string 2025-11-22 (a date, not an instant). */
export function fmtDay(isoDate) {
  const d = new Date(`${isoDate}T12:00:00+07:00`);
  return Number.isNaN(d.getTime()) ? isoDate : formatter("day").format(d);
}

/** The Hanoi calendar date of an instant, as YYYY-MM-DD. */
export function hanoiDate(v = Date.now()) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: TZ,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(toDate(v));
  return parts; // en-CA formats as YYYY-MM-DD
}

/** Local wall-clock value for <input type="datetime-local"> (Hanoi time). */
export function toLocalInput(v = Date.now()) {
  const d = toDate(v);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: TZ,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** <input type="datetime-local"> value (Hanoi wall clock) → ISO string with +07:00. */
export function fromLocalInput(s) {
  if (!s) return null;
  return `${s.length === 16 ? `${s}:00` : s}+07:00`;
}

/** A number in the UI's language; "—" when missing. */
export function fmtNum(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  return new Intl.NumberFormat(locale(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(v);
}

/** Seconds as m:ss (or h:mm:ss); "—" when missing. */
export function fmtDuration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  const sign = s < 0 ? "−" : "";
  let x = Math.round(Math.abs(s));
  const h = Math.floor(x / 3600);
  x -= h * 3600;
  const m = Math.floor(x / 60);
  const sec = String(x % 60).padStart(2, "0");
  return h ? `${sign}${h}:${String(m).padStart(2, "0")}:${sec}` : `${sign}${m}:${sec}`;
}

/** A schedule deviation: "+1:20" late, "−0:40" early, "0:00". */
export function fmtDeviation(s) {
  if (s === null || s === undefined) return "—";
  return s > 0 ? `+${fmtDuration(s)}` : fmtDuration(s);
}

/** An age in seconds, e.g. "45 s" or "3 min". */
export function fmtAge(s) {
  if (s === null || s === undefined) return "—";
  if (s < 90) return t("fmt.age_s", { n: Math.round(s) });
  if (s < 5400) return t("fmt.age_min", { n: Math.round(s / 60) });
  return t("fmt.age_h", { n: fmtNum(s / 3600, 1) });
}
