// Interface strings in Indonesian and English. The language comes from the browser the first time,
// then from the operator's choice (kept in localStorage).
import { STRINGS } from "./strings.js";

const KEY = "satupintu.console.lang";
let current = pick();

function pick() {
  const saved = localStorage.getItem(KEY);
  if (saved && STRINGS[saved]) return saved;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language || "id"];
  const first = preferred.map((l) => l.toLowerCase().slice(0, 2)).find((l) => STRINGS[l]);
  return first || "id";
}

export const lang = () => current;

export function setLang(code) {
  if (!STRINGS[code]) return;
  current = code;
  localStorage.setItem(KEY, code);
}

/** t("overview.as_of", {time}) → the string in the current language, with {placeholders} filled. */
export function t(key, vars = {}, fallback) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? fallback ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}

/** Elements marked data-i18n (the static shell in index.html) get their text in the current language. */
export function translatePage() {
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = t("title");
}
