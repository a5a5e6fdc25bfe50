// The session (token, and whom an admin key acts for, in this tab's sessionStorage) and JSON
// calls to the /v1 API. Who acts is the key's responder: the API takes no name from a body.

const TOKEN_KEY = "smileback.console.token";
const FOR_KEY = "smileback.console.on_behalf_of";

/** The API refused the token (401) or the token lacks a scope (403): the user must log in again. */
export class AuthError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Any other failed call: a network error or a non-2xx answer. */
export class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  onBehalfOf: () => sessionStorage.getItem(FOR_KEY) || "",
  start(token, onBehalfOf) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(FOR_KEY, onBehalfOf);
  },
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
    answers.clear(); // what this session saw is not the next one's to reuse
  },
};

/** Call the API with the session's bearer token; resolves to the JSON body (or null). */
export async function call(method, path, body) {
  return (await send(method, path, body, {})).data;
}

// The last answer to each conditional GET, by path, with its ETag: a 304 reuses it.
const answers = new Map();
const MAX_ANSWERS = 50;

/**
 * GET `path` conditionally (If-None-Match with the last answer's ETag): resolves to
 * { data, changed }, where an unchanged answer (304) is the last one again.
 */
export async function getFresh(path) {
  const last = answers.get(path);
  const { data, response } = await send("GET", path, undefined, last ? { "If-None-Match": last.etag } : {});
  if (response.status === 304 && last) return { data: last.data, changed: false };
  const etag = response.headers.get("ETag");
  answers.delete(path);
  if (etag) answers.set(path, { etag, data });
  if (answers.size > MAX_ANSWERS) answers.delete(answers.keys().next().value); // the oldest
  return { data, changed: true };
}

async function send(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${session.token() || ""}`, ...extraHeaders };
  // no-store: the browser keeps nothing; a conditional GET's 304 comes back to this script.
  const init = { method, headers, credentials: "omit", cache: "no-store", redirect: "error" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiFailure(0, `Could not reach the API (${method} ${path}). Check the connection and try again.`);
  }
  if (response.status === 304) return { data: null, response };
  const data = await readJson(response);
  if (response.ok) return { data, response };
  const detail = data && data.error && typeof data.error.message === "string" ? data.error.message : "";
  if (response.status === 401) {
    throw new AuthError(401, "The API did not accept this token (401 Unauthorized): it is wrong, revoked or expired. Log in again.");
  }
  if (response.status === 403) {
    const why = detail ? ` (${detail})` : "";
    throw new AuthError(403, `This token is not allowed to do that (403 Forbidden)${why}. Log in with a token that has the needed scope.`);
  }
  const text = detail || response.statusText || "request failed";
  throw new ApiFailure(response.status, `${method} ${path} failed: ${response.status} ${text}`);
}

/** `path` with `params` as a query string (empty values left out). */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** One path segment, escaped: ids may hold slashes or colons. */
export const segment = (value) => encodeURIComponent(String(value));

/** The items and next cursor of a list answer, whether paged ({items, next_cursor}) or a bare list. */
export function pageOf(data) {
  if (Array.isArray(data)) return { items: data, next: null };
  if (data && Array.isArray(data.items)) return { items: data.items, next: data.next_cursor || null };
  return { items: [], next: null };
}

async function readJson(response) {
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}
