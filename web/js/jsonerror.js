// Where a JSON text goes wrong, said in the UI's language with its line and column. The
// browser's JSON.parse message is English and gives a position only for some mistakes
// ("Unexpected token 'o', "oops" is not valid JSON" gives none), so the text is scanned here
// (RFC 8259) to find the first character that cannot be there.

import { t } from "./i18n.js";

/**
 * The first offending offset of ``text`` and why: {at, kind: "unexpected" | "end"}, or null
 * when the text is valid JSON.
 */
export function jsonErrorAt(text) {
  let i = 0;
  const fail = (at = i) => {
    throw { at, kind: at >= text.length ? "end" : "unexpected" };
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const lit = (word) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const digits = () => {
    const start = i;
    while (i < text.length && text[i] >= "0" && text[i] <= "9") i++;
    if (i === start) fail();
  };
  const number = () => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else digits();
    if (text[i] === ".") {
      i++;
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits();
    }
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail();
      const ch = text[i];
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < " ") fail(); // a control character (a newline) inside a string
      if (ch === "\\") {
        i++;
        if (text[i] === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) fail(i + k);
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i])) i++;
        else fail();
      } else i++;
    }
  };
  const value = () => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    }
    if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return lit("true");
    if (ch === "f") return lit("false");
    if (ch === "n") return lit("null");
    if (ch === "-" || (ch >= "0" && ch <= "9")) return number();
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return null;
  } catch (err) {
    if (err && typeof err.at === "number") return err;
    throw err;
  }
}

/** 1-based line and column of ``offset`` in ``text``. */
export function lineColumn(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - before.lastIndexOf("\n") };
}

/** Why ``text`` is not JSON, in the UI's language: "… dòng 1, cột 15: …". */
export function jsonErrorText(text) {
  const err = jsonErrorAt(text);
  if (!err) return t("json.invalid");
  const { line, col } = lineColumn(text, err.at);
  if (err.kind === "end") return t("json.err_end", { line, col });
  const ch = text[err.at];
  const shown = ch.trim() ? ch : JSON.stringify(ch); // a tab or newline said as \t, \n
  return t("json.err_unexpected", { line, col, ch: shown });
}
