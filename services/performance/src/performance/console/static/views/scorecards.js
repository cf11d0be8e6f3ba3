// Rankings (all agencies, filterable by period, level and parent) and one agency's scorecard.
import { api } from "../api.js";
import { barChart, legend } from "../charts.js";
import { card, empty, fmtNumber, fmtPct, h, replace, table } from "../dom.js";
import { t } from "../i18n.js";

const LEVELS = ["", "national", "province", "regency_city", "opd", "unit"];
const agencyHref = (code, period) => `#/agencies/${encodeURIComponent(code)}${period ? `?period=${period}` : ""}`;
const scoreTone = (v) => (v === null ? "" : v >= 80 ? "ok" : v >= 60 ? "warn" : "bad");

function periodForm(params, target, withLevel) {
  const period = h("input", { type: "month", name: "period", value: params.get("period") || "", "aria-label": t("col.period") });
  const level = h("select", { name: "level", "aria-label": t("col.level") },
    LEVELS.map((l) => h("option", { value: l, selected: l === (params.get("level") || "") }, l ? t(`level.${l}`) : t("filter.all_levels"))));
  const parent = h("input", { type: "text", name: "parent", value: params.get("parent") || "", placeholder: t("col.parent"), "aria-label": t("col.parent") });
  return h("form", { class: "filters-form", onsubmit: (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams();
    if (period.value) next.set("period", period.value);
    if (withLevel && level.value) next.set("level", level.value);
    if (withLevel && parent.value.trim()) next.set("parent", parent.value.trim());
    location.hash = `${target}${next.toString() ? `?${next}` : ""}`;
  } }, period, withLevel ? [level, parent] : null, h("button", { type: "submit" }, t("filter.apply")));
}

/** Put the period the API chose (this month by default) into an empty month picker. */
function showPeriod(root, label) {
  const input = root.querySelector("input[name=period]");
  if (input && !input.value && /^\d{4}-\d{2}$/.test(label)) input.value = label;
}

export function rankings(params) {
  const chart = card("rankings.chart");
  const list = card("rankings.table");
  const root = h("div", { class: "view" }, h("h1", {}, t("nav.rankings")), periodForm(params, "#/rankings", true), chart, list);
  async function refresh() {
    const doc = await api.rankings({ period: params.get("period"), level: params.get("level"), parent: params.get("parent") });
    showPeriod(root, doc.period);
    const scored = doc.items.filter((c) => c.score.value !== null);
    replace(chart, h("h2", {}, t("rankings.chart"), " ", h("small", {}, doc.period)), scored.length === 0 ? empty("empty.scores") :
      barChart(scored.map((c) => ({
        label: c.agency.name || c.agency.code, href: agencyHref(c.agency.code, params.get("period")),
        segments: [{ value: c.score.value, cls: scoreTone(c.score.value), title: fmtNumber(c.score.value, 1) }],
      })), { max: 100, width: 900, format: (v) => fmtNumber(v, 1), label: t("rankings.chart") }));
    replace(list, h("h2", {}, t("rankings.table")), doc.items.length === 0 ? empty("empty.agencies") : table([
      ["col.rank", (c) => c.rank ?? "—"],
      ["col.agency", (c) => h("a", { href: agencyHref(c.agency.code, params.get("period")) }, c.agency.name || c.agency.code)],
      ["col.score", (c) => h("b", { class: scoreTone(c.score.value) }, fmtNumber(c.score.value, 1))],
      ["col.on_time", (c) => fmtPct(c.on_time_rate)],
      ["col.received", (c) => fmtNumber(c.received)],
      ["col.completed", (c) => fmtNumber(c.completed)],
      ["col.backlog", (c) => fmtNumber(c.backlog.open)],
      ["col.ikm", (c) => (c.ikm.value === null ? "—" : `${fmtNumber(c.ikm.value, 2)} (${c.ikm.grade})`)],
    ], doc.items));
  }
  return { root, refresh };
}

export function scorecard(code, params) {
  const period = params.get("period");
  const kpis = h("div", { class: "stats" });
  const components = card("scorecard.components");
  const ageing = card("scorecard.ageing");
  const ikm = card("scorecard.ikm");
  const officers = card("scorecard.officers");
  const title = h("h1", {}, code);
  const root = h("div", { class: "view" }, title, periodForm(params, `#/agencies/${encodeURIComponent(code)}`, false),
    kpis, h("div", { class: "grid" }, components, ageing), ikm, officers);
  async function refresh() {
    const [c, off] = await Promise.all([api.scorecard(code, period), api.officers(code, period)]);
    const meta = [c.agency.name ? code : null, c.period.label, c.agency.level ? t(`level.${c.agency.level}`) : null];
    replace(title, c.agency.name || code, " ", h("small", {}, meta.filter(Boolean).join(" · ")));
    showPeriod(root, c.period.label);
    const kpi = (key, value) => h("div", { class: "stat" }, h("span", { class: "stat-value" }, value), h("span", { class: "stat-label" }, t(key)));
    replace(kpis, kpi("col.score", fmtNumber(c.score.value, 1)), kpi("col.on_time", fmtPct(c.on_time_rate)),
      kpi("col.received", fmtNumber(c.received)), kpi("col.completed", fmtNumber(c.completed)),
      kpi("col.returned", fmtNumber(c.returned)), kpi("col.escalations", fmtNumber(c.escalations)),
      kpi("col.turnaround", fmtNumber(c.turnaround_working_days.median, 1)), kpi("col.backlog", fmtNumber(c.backlog.open)));
    const comps = Object.entries(c.score.components);
    replace(components, h("h2", {}, t("scorecard.components")), barChart(comps.map(([name, value]) => ({
      label: t(`component.${name}`, {}, name),
      segments: [{ value: value ?? 0, cls: value === null ? "none" : scoreTone(value * 100), title: value === null ? t("empty.no_data") : fmtPct(value) }],
    })), { max: 1, format: (v, row) => (row.segments[0].cls === "none" ? "—" : fmtPct(v)), label: t("scorecard.components") }),
      h("p", { class: "muted" }, c.score.formula));
    const buckets = Object.entries(c.backlog.ageing_working_days);
    replace(ageing, h("h2", {}, t("scorecard.ageing")), barChart(buckets.map(([label, n]) => ({
      label: t("scorecard.wd", { range: label }), segments: [{ value: n, cls: label === "0-2" ? "ok" : label === "3-5" ? "warn" : "bad" }],
    })), { format: (v) => fmtNumber(v), label: t("scorecard.ageing") }),
      legend([["ok", "0–2"], ["warn", "3–5"], ["bad", "> 5"]]));
    replace(ikm, h("h2", {}, t("scorecard.ikm")), c.ikm.value === null ? empty("empty.ikm") : [
      h("p", {}, h("b", {}, fmtNumber(c.ikm.value, 2)), ` · ${c.ikm.grade} · ${c.ikm.meaning} · `, t("scorecard.respondents", { n: c.ikm.respondents })),
      barChart(Object.entries(c.ikm.element_means).map(([name, mean]) => ({
        label: t(`ikm.${name}`, {}, name), segments: [{ value: mean, cls: mean >= 3 ? "ok" : mean >= 2.5 ? "warn" : "bad" }],
      })), { max: 4, width: 900, format: (v) => fmtNumber(v, 2), label: t("scorecard.ikm") }),
    ]);
    replace(officers, h("h2", {}, t("scorecard.officers")), off.items.length === 0 ? empty("empty.officers") : table([
      ["col.officer", (o) => o.officer_id],
      ["col.handled", (o) => fmtNumber(o.handled)],
      ["col.completed", (o) => fmtNumber(o.completed)],
      ["col.on_time", (o) => fmtPct(o.on_time_rate)],
      ["col.returned", (o) => fmtNumber(o.returned)],
      ["col.turnaround", (o) => fmtNumber(o.median_turnaround_working_days, 1)],
    ], off.items));
  }
  return { root, refresh };
}
