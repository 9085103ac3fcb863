// The one way the pages talk to the server: same-origin fetch with the session cookie, the
// CSRF header on every unsafe request, JSON in and out, and errors people can act on.
//
//   401 → the session is gone: back to the login page (coming back here afterwards)
//   403 → "not allowed for your role" (ApiError.kind === "forbidden")
//   409 → "someone else changed this — reload" (kind "conflict"), or the rule the server
//         states in ``detail: {code, message}`` (message in the request's language)
//   422 → which field and why (ApiError.fields: [{field, path, msg}])

import { getLang, t } from "./i18n.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, detail, fields = []) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
    this.fields = fields;
  }

  get kind() {
    if (this.status === 0) return "network";
    if (this.status === 401) return "unauthenticated";
    if (this.status === 403) return "forbidden";
    if (this.status === 404) return "not_found";
    if (this.status === 409) return "conflict";
    if (this.status === 422 || this.status === 400) return "invalid";
    if (this.status === 428) return "precondition";
    if (this.status === 429) return "rate_limited";
    return this.status >= 500 ? "server" : "other";
  }
}

/** The value of a cookie the server lets scripts read (the CSRF token). */
export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

/** FastAPI/pydantic 422 details → [{field, path, msg}] (field: last name in ``loc``). */
export function fieldErrors(detail) {
  if (!Array.isArray(detail)) {
    if (detail && Array.isArray(detail.errors)) {
      // CSV import: {message, errors: [{line, column, message}]}
      return detail.errors.map((e) => ({
        field: e.column ?? "",
        path: [`line ${e.line}`, e.column].filter(Boolean).join(" / "),
        msg: e.message,
      }));
    }
    return [];
  }
  return detail.map((e) => {
    const loc = (Array.isArray(e.loc) ? e.loc : []).filter(
      (p) => p !== "body" && p !== "query" && p !== "path",
    );
    const names = loc.filter((p) => typeof p === "string");
    return { field: names.at(-1) ?? "", path: loc.join("."), msg: e.msg ?? String(e) };
  });
}

let redirecting = false;

/** Send the browser to the login page, to come back here afterwards. */
export function toLogin(reason = "") {
  if (redirecting) return;
  redirecting = true;
  const next = encodeURIComponent(location.pathname + location.search);
  const why = reason ? `&reason=${encodeURIComponent(reason)}` : "";
  location.assign(`/login?next=${next}${why}`);
}

/**
 * Call the API; resolves to {data, status, etag}. Options: method, body (JSON), ifMatch,
 * text (raw request body), allow401 (do not redirect on 401), signal.
 */
export async function request(path, opts = {}) {
  const method = (opts.method ?? "GET").toUpperCase();
  // texts the server renders (contact-tracing reasons, cohort warnings) come in the UI's language
  const headers = { Accept: "application/json", "Accept-Language": getLang() };
  let body;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  } else if (opts.text !== undefined) {
    headers["Content-Type"] = "text/csv; charset=utf-8";
    body = opts.text;
  }
  if (UNSAFE.has(method)) {
    const token = cookie("metro_csrf");
    if (token) headers["X-CSRF-Token"] = token;
  }
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers["If-Match"] = opts.ifMatch;
  let r;
  try {
    r = await fetch(path, {
      method,
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
      signal: opts.signal,
    });
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(0, t("err.network"));
  }
  const type = r.headers.get("Content-Type") ?? "";
  let data = null;
  if (r.status !== 204) {
    data = type.includes("json") ? await r.json().catch(() => null) : await r.text();
  }
  if (!r.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    const err = new ApiError(r.status, detail, r.status === 422 ? fieldErrors(detail) : []);
    if (r.status === 401 && !opts.allow401) toLogin("expired");
    throw err;
  }
  return { data, status: r.status, etag: r.headers.get("ETag") };
}

/** Shorthand: the JSON body only. */
export async function api(path, opts) {
  return (await request(path, opts)).data;
}

/** One line a person can act on, in the UI's language. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return t("err.unexpected", { msg: String(err?.message ?? err) });
  const detail =
    typeof err.detail === "string"
      ? err.detail
      : err.detail && typeof err.detail.message === "string"
        ? err.detail.message
        : "";
  switch (err.kind) {
    case "network":
      return t("err.network");
    case "unauthenticated":
      return t("err.unauthenticated");
    case "forbidden":
      // a stale CSRF token (another tab signed in again) is not a question of role
      return /CSRF/i.test(detail) ? t("err.csrf") : t("err.forbidden", { detail });
    case "conflict":
      // a rule the server states (a catalogue code with its text in our language: "needs a
      // second person") is not "someone else changed this"
      return err.detail && typeof err.detail === "object" && err.detail.code ? detail : t("err.conflict");
    case "not_found":
      return t("err.not_found", { detail });
    case "precondition":
      return t("err.conflict");
    case "rate_limited":
      return t("err.rate_limited", { detail });
    case "invalid":
      if (err.fields.length) {
        return err.fields.map((f) => `${f.path || f.field}: ${f.msg}`).join("; ");
      }
      return t("err.invalid", { detail });
    case "server":
      return t("err.server", { status: err.status });
    default:
      return detail || `HTTP ${err.status}`;
  }
}
