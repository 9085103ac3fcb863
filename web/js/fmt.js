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

// Date-time inputs are plain text fields (marked data-dt), not <input type="datetime-local">:
// chromium draws the latter in the browser's locale (mm/dd/yyyy with AM/PM on an en-US
// browser), which planners misread. They always show and take Hanoi wall-clock time as
// dd/mm/yyyy hh:mm, 24 h, whatever the browser's locale and time zone.

/** Hanoi wall-clock value for a date-time input: dd/mm/yyyy hh:mm (24 h); "" for no time. */
export function toLocalInput(v = Date.now()) {
  const d = toDate(v);
  if (!d) return "";
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
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

// d/m/yyyy h:mm with 1–2 digit day, month and hour (a comma after the date is tolerated:
// browsers copy "01/02/2026, 08:00"); and, for pasted values, yyyy-mm-ddThh:mm[:ss]
const DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s*,\s*|\s+)(\d{1,2}):(\d{2})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const pad = (n) => String(n).padStart(2, "0");

/**
 * A date-time input's text (Hanoi wall clock) → ISO string with +07:00 (Hanoi keeps no
 * daylight saving). Returns ``null`` for an empty value and ``undefined`` for one that is
 * not a real date-time (31/02/2026 08:00, 2026/13/01, 24:00): callers must refuse that, never
 * treat it as "no bound".
 * @param {string | null | undefined} s
 * @returns {string | null | undefined}
 */
export function fromLocalInput(s) {
  const text = (s ?? "").trim();
  if (!text) return null;
  let y, mo, d, hh, mi, ss;
  let m = DMY.exec(text);
  if (m) [d, mo, y, hh, mi, ss] = [m[1], m[2], m[3], m[4], m[5], "0"].map(Number);
  else if ((m = ISO.exec(text))) [y, mo, d, hh, mi, ss] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  else return undefined;
  // day 0 of the next month is the last day of this one (UTC: no zone in the calendar sum)
  const monthDays = mo >= 1 && mo <= 12 ? new Date(Date.UTC(y, mo, 0)).getUTCDate() : 0;
  if (y < 1970 || d < 1 || d > monthDays || hh > 23 || mi > 59 || ss > 59) return undefined;
  return `${y}-${pad(mo)}-${pad(d)}T${pad(hh)}:${pad(mi)}:${pad(ss)}+07:00`;
}

/** A valid date-time input's text in its canonical form (1/2/2026 8:00 → 01/02/2026 08:00);
 * an empty or invalid text is returned as it is, for the user to correct. */
export function normaliseLocalInput(s) {
  const iso = fromLocalInput(s);
  return iso ? toLocalInput(iso) : s;
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
