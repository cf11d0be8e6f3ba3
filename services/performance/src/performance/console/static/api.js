// The performance API as the console reads it. Errors come back as RFC 9457 problems.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Sends the browser to the sign-in page (the session expired or was never there). */
export function toSignIn() {
  location.assign("/sign-in?expired=1");
}

export async function getJSON(path) {
  let response;
  try {
    // The session cookie (HttpOnly, SameSite=Strict) authenticates every call; same origin only.
    response = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  } catch (err) {
    throw new ApiError(0, { title: String(err) });
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401) toSignIn();
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const q = (params) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
};

export const api = {
  config: () => getJSON("/console/config.json"),
  session: () => getJSON("/console/session"),
  overview: () => getJSON("/v1/overview"),
  timeline: (tn) => getJSON(`/v1/requests/${encodeURIComponent(tn)}/timeline`),
  requests: (params = {}) => getJSON(`/v1/requests${q({ limit: 50, ...params })}`),
  rankings: (params = {}) => getJSON(`/v1/rankings${q(params)}`),
  scorecard: (code, period) => getJSON(`/v1/agencies/${encodeURIComponent(code)}/scorecard${q({ period })}`),
  officers: (code, period) => getJSON(`/v1/agencies/${encodeURIComponent(code)}/officers${q({ period })}`),
  breaches: () => getJSON("/v1/breaches"),
  unroutable: () => getJSON("/v1/unroutable"),
  deadLetters: () => getJSON("/v1/dead-letters"),
  trace: (id) => getJSON(`/v1/traces/${encodeURIComponent(id)}`),
};
