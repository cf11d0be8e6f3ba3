// Small DOM helpers. Every value from the API is put into the page as text, never parsed as HTML.
import { lang, t } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h("a", {href: "#/"}, "text", childNode, …) → an HTML element. */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** s("rect", {x: 0, …}) → an SVG element. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

export function replace(target, ...children) {
  target.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

const locale = () => (lang() === "id" ? "id-ID" : "en-GB");

export function fmtTime(iso, withDate = true) {
  if (!iso) return "—";
  const options = withDate
    ? { dateStyle: "medium", timeStyle: "medium" }
    : { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

/** Hours and minutes only, for time axes. */
export const fmtClock = (date) => new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(date);

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

export const fmtPct = (ratio) => (ratio === null || ratio === undefined ? "—" : `${fmtNumber(ratio * 100, 1)}%`);

/** 3725 → "1 h 2 min" (seconds in, the two largest units out). */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${fmtNumber(seconds * 1000, 0)} ms`;
  const units = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  const parts = [];
  let rest = Math.round(seconds);
  for (const [name, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${t(`unit.${name}`)}`);
      rest %= size;
    }
  }
  return parts.join(" ") || `0 ${t("unit.s")}`;
}

/** Microseconds (Jaeger's unit) → "12.3 ms" / "1.2 s". */
export function fmtMicros(us) {
  if (us < 1000) return `${fmtNumber(us, 0)} µs`;
  if (us < 1_000_000) return `${fmtNumber(us / 1000, 1)} ms`;
  return `${fmtNumber(us / 1_000_000, 2)} s`;
}

export const statusBadge = (status) =>
  h("span", { class: `badge status-${status || "unknown"}`, dataset: { status: status || "" } }, t(`status.${status}`, {}, status || "—"));

export const journeyLink = (tn) => h("a", { href: `#/requests/${encodeURIComponent(tn)}`, class: "tn" }, tn);

export const empty = (key) => h("p", { class: "empty" }, t(key));

/** A table: columns are [headingKey, row => cell content]. */
export function table(columns, rows, attrs = {}) {
  return h(
    "table",
    { class: "data", ...attrs },
    h("thead", {}, h("tr", {}, columns.map(([key]) => h("th", {}, t(key))))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))))),
  );
}

export function card(titleKey, ...children) {
  return h("section", { class: "card" }, titleKey ? h("h2", {}, t(titleKey)) : null, ...children);
}
