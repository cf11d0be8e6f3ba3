// Two small chart types drawn as inline SVG: horizontal (optionally stacked) bars and a line.
// Each chart carries data-points (how many values it shows) so tests and screen readers can tell
// an empty chart from a drawn one.
import { h, s } from "./dom.js";

const ROW = 26;
const LABEL_W = 170;
const VALUE_W = 110;

/**
 * rows: [{label, href?, segments: [{value, cls, title}]}]; format(total) labels each bar's end.
 * max: the value of a full bar (defaults to the largest total).
 */
export function barChart(rows, { format = String, max, width = 640, label } = {}) {
  const totals = rows.map((r) => r.segments.reduce((sum, seg) => sum + (seg.value || 0), 0));
  const full = max ?? Math.max(1, ...totals);
  const plot = width - LABEL_W - VALUE_W;
  const height = Math.max(ROW, rows.length * ROW) + 4;
  const svg = s("svg", {
    class: "chart bar-chart",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": label,
    dataset: { points: String(rows.length) },
  });
  rows.forEach((row, i) => {
    const y = i * ROW + 4;
    const name = s("text", { x: LABEL_W - 8, y: y + 15, class: "label", "text-anchor": "end" }, truncate(row.label, 24));
    svg.append(row.href ? s("a", { href: row.href }, name) : name);
    svg.append(s("rect", { x: LABEL_W, y, width: plot, height: ROW - 8, class: "track" }));
    let x = LABEL_W;
    for (const seg of row.segments) {
      const w = Math.max(0, (plot * (seg.value || 0)) / full);
      if (w > 0) {
        svg.append(s("rect", { x, y, width: w, height: ROW - 8, class: `bar ${seg.cls || ""}`, dataset: { value: seg.value } },
          s("title", {}, `${row.label}: ${seg.title ?? seg.value}`)));
      }
      x += w;
    }
    svg.append(s("text", { x: LABEL_W + plot + 6, y: y + 15, class: "value" }, format(totals[i], row)));
  });
  return svg;
}

/** points: [{x: Date, y: number}] in time order; a filled line with the first, last and peak labelled. */
export function lineChart(points, { width = 640, height = 180, format = String, timeFormat, label } = {}) {
  const pad = { l: 36, r: 12, t: 12, b: 24 };
  const svg = s("svg", { class: "chart line-chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, dataset: { points: String(points.length) } });
  if (points.length === 0) return svg;
  const x0 = points[0].x.getTime();
  const span = Math.max(1, points.at(-1).x.getTime() - x0);
  const top = Math.max(1, ...points.map((p) => p.y));
  const px = (p) => pad.l + ((p.x.getTime() - x0) / span) * (width - pad.l - pad.r);
  const py = (p) => height - pad.b - (p.y / top) * (height - pad.t - pad.b);
  const line = points.map((p) => `${px(p).toFixed(1)},${py(p).toFixed(1)}`).join(" ");
  const base = height - pad.b;
  svg.append(
    s("line", { x1: pad.l, x2: width - pad.r, y1: base, y2: base, class: "axis" }),
    s("line", { x1: pad.l, x2: width - pad.r, y1: pad.t, y2: pad.t, class: "grid" }),
    s("text", { x: pad.l - 6, y: pad.t + 4, class: "tick", "text-anchor": "end" }, format(top)),
    s("text", { x: pad.l - 6, y: base, class: "tick", "text-anchor": "end" }, "0"),
    s("polygon", { points: `${px(points[0])},${base} ${line} ${px(points.at(-1))},${base}`, class: "area" }),
    s("polyline", { points: line, class: "line" }),
  );
  for (const [p, anchor] of [[points[0], "start"], [points.at(-1), "end"]]) {
    svg.append(s("text", { x: px(p), y: height - 6, class: "tick", "text-anchor": anchor }, timeFormat(p.x)));
  }
  for (const p of points.filter((p) => p.y > 0)) {
    svg.append(s("circle", { cx: px(p), cy: py(p), r: 2.5, class: "dot" }, s("title", {}, `${timeFormat(p.x)}: ${format(p.y)}`)));
  }
  return svg;
}

export const legend = (entries) =>
  h("ul", { class: "legend" }, entries.map(([cls, text]) => h("li", {}, h("span", { class: `swatch ${cls}` }), text)));

function truncate(text, n) {
  const str = String(text ?? "");
  return str.length > n ? `${str.slice(0, n - 1)}…` : str;
}
