// Small helpers shared by the page's modules: element building and time formatting.
// Every Bungie-provided string goes into the page with textContent, never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// The server's clock minus the browser's, in ms: timers read the server's time, so a
// viewer whose clock is minutes off still sees how long an activity has really run.
let skew = 0;
export function setServerTime(iso) {
  const server = Date.parse(iso);
  if (!Number.isNaN(server)) skew = server - Date.now();
}
export const serverNow = () => Date.now() + skew;

export function elapsed(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const secs = String(seconds % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

export function ago(iso) {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 1000));
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86400);
  if (days < 60) return `${days} day${days === 1 ? "" : "s"} ago`;
  return new Date(iso).toLocaleDateString(undefined, { month: "short", year: "numeric" });
}

export function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return hours ? `${hours} h ${String(minutes % 60).padStart(2, "0")} min`
    : `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
}

export const relTime = (iso) => h("time", { "data-rel": iso || "" }, ago(iso));
