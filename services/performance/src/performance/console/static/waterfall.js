// A Jaeger trace (GET /v1/traces/{id}, Jaeger's own JSON) drawn as a waterfall: one row per span,
// indented under its parent, coloured by service, errors in red, hops between services measured,
// and references to other traces (span links, FOLLOWS_FROM) offered as buttons.
import { fmtMicros, h } from "./dom.js";
import { t } from "./i18n.js";

const KNOWN = { intake: "#2563eb", routing: "#d97706", performance: "#059669" };
const PALETTE = ["#7c3aed", "#db2777", "#0891b2", "#65a30d", "#9333ea", "#ea580c", "#0d9488"];

export function colourOf(service) {
  if (KNOWN[service]) return KNOWN[service];
  let hash = 0;
  for (const ch of service) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

const tagValue = (span, key) => span.tags?.find((tag) => tag.key === key)?.value;
const isError = (span) =>
  tagValue(span, "error") === true || tagValue(span, "error") === "true" || tagValue(span, "otel.status_code") === "ERROR";

/** Spans of ``trace`` with service, parent, depth and references to other traces, in display order. */
export function layout(trace) {
  const spans = trace.spans.map((span) => ({
    ...span,
    service: trace.processes?.[span.processID]?.serviceName ?? "?",
    error: isError(span),
  }));
  const byId = new Map(spans.map((span) => [span.spanID, span]));
  const children = new Map();
  for (const span of spans) {
    const refs = span.references || [];
    const parent = refs.find((r) => r.traceID === trace.traceID && byId.has(r.spanID));
    span.parent = parent ? byId.get(parent.spanID) : null;
    span.linked = refs.filter((r) => r.traceID !== trace.traceID);
    const key = span.parent?.spanID ?? null;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(span);
  }
  const ordered = [];
  const visit = (span, depth) => {
    span.depth = depth;
    ordered.push(span);
    for (const child of (children.get(span.spanID) || []).sort((a, b) => a.startTime - b.startTime)) visit(child, depth + 1);
  };
  for (const root of (children.get(null) || []).sort((a, b) => a.startTime - b.startTime)) visit(root, 0);
  return ordered;
}

/** Hops: spans whose parent ran in another service, with the time from the sender's start to theirs. */
export const hops = (spans) =>
  spans
    .filter((span) => span.parent && span.parent.service !== span.service)
    .map((span) => ({ from: span.parent.service, to: span.service, span, micros: span.startTime - span.parent.startTime }));

export function waterfall(doc, { onOpenTrace }) {
  const trace = doc.data[0];
  const spans = layout(trace);
  const start = Math.min(...spans.map((sp) => sp.startTime));
  const total = Math.max(1, Math.max(...spans.map((sp) => sp.startTime + sp.duration)) - start);
  const services = [...new Set(spans.map((sp) => sp.service))];
  const errors = spans.filter((sp) => sp.error).length;
  const pct = (us) => `${((us / total) * 100).toFixed(3)}%`;

  const summary = h("p", { class: "trace-summary" },
    t("trace.summary", { spans: spans.length, services: services.length, duration: fmtMicros(total), errors }));
  const services_ = h("ul", { class: "legend" }, services.map((name) => {
    const swatch = h("span", { class: "swatch" });
    swatch.style.background = colourOf(name);
    return h("li", {}, swatch, name);
  }));
  const ticks = h("div", { class: "wf-row wf-ticks" }, h("div", { class: "wf-name" }, t("trace.span")),
    h("div", { class: "wf-lane" }, [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const tick = h("span", { class: "wf-tick" }, fmtMicros(total * f));
      tick.style.left = `${f * 100}%`;
      return tick;
    })));
  const rows = spans.map((span) => spanRow(span, { start, total, pct, onOpenTrace }));
  const hopList = hops(spans);
  return h("div", { class: "waterfall", dataset: { spans: String(spans.length), traceId: trace.traceID } },
    summary, services_,
    hopList.length ? h("ul", { class: "hops" }, hopList.map((hop) =>
      h("li", {}, h("b", {}, `${hop.from} → ${hop.to}`), " ", fmtMicros(hop.micros), " ", h("small", {}, hop.span.operationName)))) : null,
    h("div", { class: "wf-table", role: "table" }, ticks, rows));
}

function spanRow(span, { start, total, pct, onOpenTrace }) {
  const colour = colourOf(span.service);
  const bar = h("div", { class: "wf-bar", title: `${span.operationName}: ${fmtMicros(span.duration)}` });
  bar.style.left = pct(span.startTime - start);
  bar.style.width = `max(2px, ${pct(span.duration)})`;
  bar.style.background = colour;
  const label = h("span", { class: "wf-dur" }, fmtMicros(span.duration));
  placeLabel(label, (span.startTime - start) / total, span.duration / total);
  const lane = h("div", { class: "wf-lane" }, bar, label);
  if (span.parent && span.parent.service !== span.service) {
    lane.append(h("span", { class: "wf-hop", title: t("trace.hop_help") }, `↪ ${fmtMicros(span.startTime - span.parent.startTime)}`));
  }
  const pill = h("span", { class: "svc" }, span.service);
  pill.style.borderColor = colour;
  pill.style.color = colour;
  const name = h("div", { class: "wf-name" }, pill, " ", span.operationName,
    span.error ? h("span", { class: "badge error" }, t("trace.error")) : null,
    span.linked.length ? h("span", { class: "badge link", title: t("trace.linked") }, t("trace.links", { n: span.linked.length })) : null);
  name.style.paddingLeft = `${0.4 + span.depth * 0.9}rem`;
  const details = h("div", { class: "wf-details", hidden: true }, spanDetails(span, onOpenTrace));
  const row = h("div", { class: `wf-row${span.error ? " wf-error" : ""}`, dataset: { service: span.service, spanId: span.spanID } },
    name, lane);
  row.addEventListener("click", () => { details.hidden = !details.hidden; });
  return [row, details];
}

/** After the bar when there is room, else inside a wide bar, else before the bar. */
function placeLabel(label, from, width) {
  const pc = (f) => `${(f * 100).toFixed(3)}%`;
  if (from + width < 0.8) label.style.left = `calc(${pc(from + width)} + 4px)`;
  else if (width > 0.15) {
    label.style.right = `calc(${pc(1 - from - width)} + 4px)`;
    label.classList.add("inside");
  } else label.style.right = `calc(${pc(1 - from)} + 4px)`;
}

function spanDetails(span, onOpenTrace) {
  const tags = (span.tags || []).map((tag) => h("tr", {}, h("th", {}, tag.key), h("td", {}, String(tag.value))));
  const links = span.linked.map((ref) =>
    h("li", {}, `${ref.refType} `, h("button", { type: "button", class: "link", onclick: () => onOpenTrace(ref.traceID) }, ref.traceID)));
  return [
    links.length ? h("div", {}, h("b", {}, t("trace.linked")), h("ul", {}, links)) : null,
    h("table", { class: "tags" }, h("tbody", {}, tags)),
  ];
}
