// Request journey: search by tracking number; facts, time in each state, events, routing reasons,
// and the request's traces drawn as waterfalls (its own trace and the later, linked ones).
import { api } from "../api.js";
import { barChart } from "../charts.js";
import { card, empty, fmtDuration, fmtTime, h, journeyLink, replace, statusBadge, table } from "../dom.js";
import { t } from "../i18n.js";
import { waterfall } from "../waterfall.js";

const TN = /^[A-Z0-9-]{4,32}$/;
const TERMINAL = ["completed", "rejected", "unroutable"];

export function searchForm(initial = "") {
  const input = h("input", { type: "search", name: "tn", value: initial, placeholder: t("search.placeholder"), "aria-label": t("search.label"), autocomplete: "off", spellcheck: "false" });
  return h("form", { class: "search", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    const tn = input.value.trim().toUpperCase();
    if (tn) location.hash = `#/requests/${encodeURIComponent(tn)}`;
  } }, input, h("button", { type: "submit" }, t("search.go")));
}

/** #/requests: the search box and the most recently changed requests (filterable by status). */
export function recent(params) {
  const list = h("div");
  const status = params.get("status") || "";
  const filters = h("nav", { class: "filters" }, ["", "submitted", "routed", "accepted", "in_progress", "completed", "rejected", "returned", "escalated", "unroutable"]
    .map((s) => h("a", { href: s ? `#/requests?status=${s}` : "#/requests", class: s === status ? "active" : "" }, s ? t(`status.${s}`) : t("filter.all"))));
  const root = h("div", { class: "view" }, h("h1", {}, t("nav.journey")), searchForm(), filters, card("requests.recent", list));
  async function refresh() {
    const doc = await api.requests({ status, agency: params.get("agency") });
    replace(list, doc.items.length === 0 ? empty("empty.requests") : table([
      ["col.tracking_number", (r) => journeyLink(r.tracking_number)],
      ["col.status", (r) => [statusBadge(r.status), r.breached ? h("span", { class: "badge bad" }, t("journey.breached")) : null]],
      ["col.service", (r) => r.service_code],
      ["col.agency", (r) => r.agency_code ?? "—"],
      ["col.updated", (r) => fmtTime(r.status_at)],
      ["col.due", (r) => fmtTime(r.due_at)],
    ], doc.items));
  }
  return { root, refresh };
}

export function journey(tn, params, config) {
  const state = { signature: null, traceIds: [], selected: params.get("trace"), loaded: null };
  const head = h("div", { class: "journey-head" });
  const facts = h("div");
  const stays = card("journey.time_in_state");
  const events = card("journey.events");
  const reasons = card("journey.routing");
  const traceChips = h("div", { class: "chips" });
  const traceBody = h("div", { class: "trace-body" });
  const traces = h("section", { class: "card trace" }, h("h2", {}, t("journey.trace")), traceChips, traceBody);
  const root = h("div", { class: "view journey", dataset: { tn } }, searchForm(tn), head, facts, h("div", { class: "grid" }, stays, reasons), events, traces);

  async function openTrace(id, { quiet = false } = {}) {
    state.selected = id;
    renderChips();
    if (!quiet) replace(traceBody, h("p", { class: "muted" }, t("trace.loading")));
    try {
      const doc = await api.trace(id);
      state.loaded = id;
      replace(traceBody, jaegerLink(config, id), waterfall(doc, { onOpenTrace: openTrace }));
    } catch (err) {
      state.loaded = null;
      const key = err.status === 404 ? "trace.not_found" : err.status === 502 ? "trace.unavailable" : "trace.failed";
      replace(traceBody, h("p", { class: "notice", dataset: { problem: String(err.status) } }, t(key), " ", h("small", {}, err.message)), jaegerLink(config, id));
    }
  }

  function renderChips() {
    replace(traceChips, state.traceIds.map((id, i) => h("button", {
      type: "button", class: `chip${id === state.selected ? " active" : ""}`, onclick: () => openTrace(id),
    }, i === 0 ? t("trace.request") : t("trace.later", { n: i }), " ", h("code", {}, id.slice(0, 8)))));
  }

  async function refresh() {
    let doc;
    try {
      doc = await api.timeline(tn);
    } catch (err) {
      if (err.status !== 404) throw err;
      replace(head, h("h1", {}, tn), h("p", { class: "notice", dataset: { problem: "404" } }, t("journey.unknown", { tn })));
      return;
    }
    const signature = JSON.stringify([doc.status, doc.events.length, doc.trace_ids, doc.due_at]);
    if (signature !== state.signature) {
      state.signature = signature;
      render(doc);
      // The request's own trace first, then the later ones (agency updates linked to it).
      state.traceIds = [doc.trace_id, ...doc.trace_ids.filter((id) => id !== doc.trace_id)].filter(Boolean);
      renderChips();
      if (state.traceIds.length === 0) replace(traceBody, empty("trace.none"));
    }
    // A trace reaches Jaeger a few seconds after the events do: keep trying until it is there.
    const wanted = state.selected || state.traceIds[0];
    if (wanted && state.loaded !== wanted) await openTrace(wanted, { quiet: state.selected === wanted });
  }

  function render(doc) {
    replace(head, h("h1", {}, doc.tracking_number, " ", statusBadge(doc.status),
      doc.breached ? h("span", { class: "badge bad" }, t("journey.breached")) : null));
    replace(facts, h("dl", { class: "facts" }, fact("col.service", doc.service_code), fact("col.region", doc.region_code),
      fact("col.channel", doc.channel), fact("col.agency", doc.agency_code), fact("col.submitted", fmtTime(doc.submitted_at)),
      fact("col.due", [fmtTime(doc.due_at), doc.sla_working_days ? ` (${t("journey.sla", { n: doc.sla_working_days })})` : ""]),
      fact("col.completed", fmtTime(doc.completed_at)), fact("journey.hops", `${doc.hops} / ${doc.returns} / ${doc.escalations}`),
      doc.unroutable_reason ? fact("col.reason", doc.unroutable_reason) : null));
    replace(stays, h("h2", {}, t("journey.time_in_state")), stayChart(doc), table([
      ["col.status", (s) => statusBadge(s.status)],
      ["col.entered", (s) => fmtTime(s.entered_at)],
      ["col.duration", (s) => (s.left_at || !TERMINAL.includes(s.status) ? fmtDuration(s.seconds) : "—")],
    ], doc.time_in_state, { class: "data stays" }));
    replace(events, h("h2", {}, t("journey.events")), table([
      ["col.time", (e) => fmtTime(e.occurred_at)],
      ["col.event", (e) => h("span", { class: "event-name" }, t(`event.${e.name}`, {}, e.name))],
      ["col.agency", (e) => e.agency_code ?? "—"],
      ["col.officer", (e) => e.officer_id ?? "—"],
      ["col.detail", (e) => eventDetail(e, openTrace)],
    ], doc.events, { class: "data events" }));
    replace(reasons, h("h2", {}, t("journey.routing")), doc.routing_reasons.length === 0 ? empty("empty.routing") :
      h("ol", { class: "reasons" }, doc.routing_reasons.map((r) => h("li", {},
        h("b", {}, r.agency_code), " · ", t(`rule.${r.rule}`, {}, r.rule), " · ", h("small", {}, fmtTime(r.occurred_at)),
        h("p", {}, r.explanation),
        h("small", { class: "muted" }, t("journey.reason_meta", { level: r.owning_level, region: r.matched_region ?? "—", candidates: (r.candidates || []).join(", ") || "—" }))))));
  }

  return { root, refresh };
}

const fact = (key, value) => h("div", {}, h("dt", {}, t(key)), h("dd", {}, value ?? "—"));

function stayChart(doc) {
  // A terminal state has no duration: leave it out of the chart rather than draw an empty bar.
  const totals = Object.entries(doc.seconds_per_state).filter(([status, seconds]) => seconds > 0 || !TERMINAL.includes(status));
  return barChart(totals.map(([status, seconds]) => ({
    label: t(`status.${status}`, {}, status),
    segments: [{ value: seconds, cls: `st-${status}`, title: fmtDuration(seconds) }],
  })), { format: (v) => fmtDuration(v), label: t("journey.time_in_state") });
}

function eventDetail(e, openTrace) {
  const parts = [];
  // A routing event's reason is the structured RoutingReason (shown under routing reasons); others are text.
  if (typeof e.reason === "string") parts.push(e.reason);
  if (e.note) parts.push(e.note);
  if (e.due_at) parts.push(`${t("col.due")}: ${fmtTime(e.due_at)}`);
  if (e.previous_agency_code) parts.push(`${t("journey.from")} ${e.previous_agency_code}`);
  if (e.from_agency_code) parts.push(`${t("journey.from")} ${e.from_agency_code}`);
  const trace = e.trace_id
    ? h("button", { type: "button", class: "link", title: t("trace.show"), onclick: () => openTrace(e.trace_id) }, `trace ${e.trace_id.slice(0, 8)}`)
    : null;
  return [parts.join(" · "), parts.length && trace ? " · " : "", trace, !parts.length && !trace ? "—" : ""];
}

function jaegerLink(config, id) {
  if (!config.jaeger_ui_url) return null;
  const href = `${config.jaeger_ui_url.replace(/\/$/, "")}/trace/${id}`;
  return h("p", { class: "muted" }, h("a", { href, target: "_blank", rel: "noopener" }, t("trace.open_jaeger")));
}

export const isTrackingNumber = (text) => TN.test(text);
