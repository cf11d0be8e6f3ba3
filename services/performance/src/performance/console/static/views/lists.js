// Breaches, unroutable requests and dead letters: each row links to the request's journey.
import { api } from "../api.js";
import { card, empty, fmtTime, h, journeyLink, replace, statusBadge, table } from "../dom.js";
import { t } from "../i18n.js";

const LISTS = {
  breaches: {
    load: api.breaches,
    columns: [
      ["col.tracking_number", (r) => journeyLink(r.tracking_number)],
      ["col.status", (r) => statusBadge(r.status)],
      ["col.agency", (r) => r.agency_code ?? "—"],
      ["col.due", (r) => fmtTime(r.due_at)],
      ["col.breached_at", (r) => fmtTime(r.breached_at)],
      ["col.escalations", (r) => r.escalations],
    ],
  },
  unroutable: {
    load: api.unroutable,
    columns: [
      ["col.tracking_number", (r) => journeyLink(r.tracking_number)],
      ["col.service", (r) => r.service_code],
      ["col.region", (r) => r.region_code],
      ["col.reason", (r) => r.unroutable_reason ?? "—"],
      ["col.updated", (r) => fmtTime(r.status_at)],
    ],
  },
  "dead-letters": {
    load: api.deadLetters,
    columns: [
      ["col.received_at", (r) => fmtTime(r.received_at)],
      ["col.tracking_number", (r) => (r.tracking_number ? journeyLink(r.tracking_number) : "—")],
      ["col.kind", (r) => h("span", { class: "badge" }, r.kind ?? "—")],
      ["col.reason", (r) => h("span", { class: "reason" }, r.reason)],
      ["col.source", (r) => `${r.source_topic ?? "?"} [${r.source_partition ?? "?"}@${r.source_offset ?? "?"}]`],
      ["col.group", (r) => r.consumer_group ?? "—"],
      ["col.event_type", (r) => r.event_type ?? "—"],
    ],
  },
};

export function list(name) {
  const spec = LISTS[name];
  const body = card(null);
  const root = h("div", { class: `view list-${name}` }, h("h1", {}, t(`nav.${name}`)), h("p", { class: "muted" }, t(`help.${name}`)), body);
  async function refresh() {
    const doc = await spec.load();
    replace(body, doc.items.length === 0 ? empty(`empty.${name}`) : table(spec.columns, doc.items));
  }
  return { root, refresh };
}
