// The sign-in page: the token goes to the server once; the server answers with a session cookie
// (HttpOnly: no script, this one included, can read it) and the console opens.
import { lang, setLang, t, translatePage } from "./i18n.js";

const form = document.getElementById("sign-in");
const input = document.getElementById("token");
const error = document.getElementById("sign-in-error");
const picker = document.getElementById("lang");

function show(key) {
  error.dataset.error = key;
  error.textContent = t(`signin.${key}`);
  error.hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  error.hidden = true;
  let response;
  try {
    response = await fetch("/console/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token: input.value }),
    });
  } catch {
    show("unavailable");
    return;
  }
  if (response.ok) {
    input.value = "";
    location.assign("/");
  } else {
    show(response.status === 401 || response.status === 403 ? "invalid" : "unavailable");
  }
}

function translate() {
  translatePage();
  document.title = t("signin.page_title");
  if (!error.hidden) show(error.dataset.error);
}

picker.value = lang();
picker.addEventListener("change", () => {
  setLang(picker.value);
  translate();
});
translate();
const reason = new URLSearchParams(location.search);
if (reason.get("error")) show(reason.get("error") === "unavailable" ? "unavailable" : "invalid");
else if (reason.has("expired")) show("expired");
form.addEventListener("submit", signIn);
input.focus();
