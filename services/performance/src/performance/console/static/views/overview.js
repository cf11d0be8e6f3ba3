// Overview: the control-room numbers, requests per minute, backlog and on-time rate per agency.
import { api } from "../api.js";
import { barChart, legend, lineChart } from "../charts.js";
import { card, empty, fmtClock, fmtNumber, fmtPct, fmtTime, h, replace } from "../dom.js";
import { t } from "../i18n.js";

const MINUTE = 60_000;

/** The last hour minute by minute, zeros included, so the line shows quiet minutes too. */
export function perMinute(rows, asOf) {
  const counts = new Map(rows.map((r) => [new Date(r.minute).getTime(), r.requests]));
  const end = Math.floor(new Date(asOf).getTime() / MINUTE) * MINUTE;
  return Array.from({ length: 61 }, (_, i) => {
    const x = end - (60 - i) * MINUTE;
    return { x: new Date(x), y: counts.get(x) || 0 };
  });
}

const stat = (key, value, href, tone = "") =>
  h(href ? "a" : "div", { class: `stat ${tone}`, href, dataset: { stat: key } },
    h("span", { class: "stat-value" }, fmtNumber(value)), h("span", { class: "stat-label" }, t(key)));

export function overview() {
  const stats = h("div", { class: "stats" });
  const rpm = card("overview.rpm");
  const backlog = card("overview.backlog");
  const onTime = card("overview.on_time");
  const root = h("div", { class: "view overview" }, h("h1", {}, t("nav.overview")), stats, h("div", { class: "grid" }, rpm, backlog), onTime);

  async function refresh() {
    const [doc, ranking] = await Promise.all([api.overview(), api.rankings()]);
    const minutes = perMinute(doc.requests_per_minute, doc.as_of);
    const lastHour = minutes.reduce((sum, p) => sum + p.y, 0);
    replace(stats,
      stat("overview.last_hour", lastHour),
      stat("overview.due_soon", doc.due_within_next_working_day, "#/requests", doc.due_within_next_working_day ? "warn" : ""),
      stat("overview.breaches", doc.breaches, "#/breaches", doc.breaches ? "bad" : ""),
      stat("overview.unroutable", doc.unroutable, "#/unroutable", doc.unroutable ? "warn" : ""),
      stat("overview.dead_letters", doc.dead_letters, "#/dead-letters", doc.dead_letters ? "bad" : ""),
      doc.events === undefined ? null : stat("overview.events", doc.events));
    replace(rpm, h("h2", {}, t("overview.rpm")),
      lineChart(minutes, { label: t("overview.rpm"), format: (v) => fmtNumber(v), timeFormat: fmtClock }),
      h("p", { class: "muted" }, t("overview.as_of", { time: fmtTime(doc.as_of) })));
    replace(backlog, h("h2", {}, t("overview.backlog")),
      doc.backlog.length === 0 ? empty("empty.backlog") : [
        barChart(doc.backlog.map((row) => ({
          label: row.agency_code,
          href: `#/agencies/${encodeURIComponent(row.agency_code)}`,
          segments: [
            { value: row.open - row.overdue, cls: "ok", title: `${t("backlog.in_time")} ${row.open - row.overdue}` },
            { value: row.overdue, cls: "bad", title: `${t("backlog.overdue")} ${row.overdue}` },
          ],
        })), { label: t("overview.backlog"), format: (v) => fmtNumber(v) }),
        legend([["ok", t("backlog.in_time")], ["bad", t("backlog.overdue")]]),
      ]);
    const rated = ranking.items.filter((c) => c.on_time_rate !== null);
    replace(onTime, h("h2", {}, t("overview.on_time"), " ", h("small", {}, ranking.period)),
      rated.length === 0 ? empty("empty.on_time") : barChart(rated.map((c) => ({
        label: c.agency.name || c.agency.code,
        href: `#/agencies/${encodeURIComponent(c.agency.code)}`,
        segments: [{ value: c.on_time_rate, cls: c.on_time_rate >= 0.9 ? "ok" : c.on_time_rate >= 0.7 ? "warn" : "bad", title: fmtPct(c.on_time_rate) }],
      })), { max: 1, width: 900, format: (v) => fmtPct(v), label: t("overview.on_time") }));
  }

  return { root, refresh };
}
