// The console's shell: hash routing, the language switch and live refresh by short polling.
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { lang, setLang, t, translatePage } from "./i18n.js";
import { journey, recent } from "./views/journey.js";
import { list } from "./views/lists.js";
import { overview } from "./views/overview.js";
import { rankings, scorecard } from "./views/scorecards.js";

const ROUTES = [
  [/^\/?$/, () => overview(), "overview"],
  [/^\/requests$/, (_, params) => recent(params), "journey"],
  [/^\/requests\/([^/]+)$/, ([tn], params, config) => journey(decodeURIComponent(tn), params, config), "journey"],
  [/^\/rankings$/, (_, params) => rankings(params), "rankings"],
  [/^\/agencies\/([^/]+)$/, ([code], params) => scorecard(decodeURIComponent(code), params), "rankings"],
  [/^\/(breaches|unroutable|dead-letters)$/, ([name]) => list(name), null],
];

const main = document.getElementById("view");
const live = document.getElementById("live");
let current = null;
let config = { poll_seconds: 5, jaeger_ui_url: null };

function parseHash() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  return { path: path || "/", params: new URLSearchParams(query || "") };
}

function route() {
  const { path, params } = parseHash();
  for (const [pattern, make, nav] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    current = make(match.slice(1), params, config);
    replace(main, current.root);
    markNav(nav ?? match[1]);
    refresh(true);
    return;
  }
  current = null;
  replace(main, h("div", { class: "view" }, h("h1", {}, t("notfound.title")), h("p", {}, h("a", { href: "#/" }, t("nav.overview")))));
}

function markNav(name) {
  for (const link of document.querySelectorAll("nav.main a")) link.classList.toggle("active", link.dataset.nav === name);
}

let busy = false;
async function refresh(force = false) {
  const view = current;
  if (!view || (busy && !force) || (!force && document.visibilityState !== "visible")) return;
  busy = true;
  try {
    await view.refresh();
    if (view === current) setLive("ok", t("live.updated", { time: new Date().toLocaleTimeString(lang() === "id" ? "id-ID" : "en-GB") }));
  } catch (err) {
    if (view === current) setLive("error", t("live.error", { message: err.message }));
    console.error(err);
  } finally {
    busy = false;
  }
}

function setLive(state, text) {
  live.dataset.state = state;
  live.textContent = text;
}

async function showWho() {
  const who = document.getElementById("who");
  const session = await api.session().catch(() => null);
  if (!session) return;
  who.dataset.role = session.role;
  who.dataset.subject = session.subject;
  who.textContent = t("session.who", { subject: session.subject, role: t(`role.${session.role}`) });
}

async function start() {
  config = await api.config().catch(() => config);
  showWho();
  const picker = document.getElementById("lang");
  picker.value = lang();
  picker.addEventListener("change", () => {
    setLang(picker.value);
    translatePage();
    showWho();
    route();
  });
  translatePage();
  window.addEventListener("hashchange", route);
  route();
  setInterval(refresh, Math.max(1, config.poll_seconds) * 1000);
}

start();
