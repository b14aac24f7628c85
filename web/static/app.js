// clanactors: keeps the server-rendered page live. No framework, no build step.
// Every Bungie-provided string goes into the page with textContent, never as HTML.

import { $, $$, h, ago, duration, elapsed, relTime } from "./dom.js";
import { openReport } from "./pgcr.js";

const number = (value) => (value === null || value === undefined ? "–" : value.toLocaleString("en-US"));
const timer = (iso) => h("span", { class: "timer", "data-since": iso || "" }, elapsed(iso));

function tickTimers() {
  for (const el of $$("[data-since]")) el.textContent = elapsed(el.dataset.since);
}
function tickRelative() {
  for (const el of $$("time[data-rel]")) el.textContent = ago(el.dataset.rel);
}

// ------------------------------------------------------------------ rendering

let state = null;

function memberLink(member) {
  return h("a", { class: "name", href: `/members/${member.membershipId}` }, member.displayName);
}

function renderOnline() {
  const fireteams = $("#fireteams");
  if (!fireteams) return;
  const everyone = new Map();
  for (const m of [...state.members.online, ...state.members.offline]) everyone.set(m.membershipId, m);
  const inFireteam = new Set(state.fireteams.flatMap((f) => f.members));

  fireteams.replaceChildren(...state.fireteams.map((f) => h("article", { class: "fireteam", "data-fireteam": f.id },
    h("header", {}, h("h3", {}, f.activity.name), timer(f.startedAt)),
    h("ul", { class: "chips" },
      f.members.filter((id) => everyone.has(id)).map((id) =>
        h("li", {}, h("a", { href: `/members/${id}` }, everyone.get(id).displayName))),
      f.guests ? h("li", { class: "guest" }, `+${f.guests} guest${f.guests === 1 ? "" : "s"}`) : null))));

  const online = state.members.online;
  $("#solo").replaceChildren(...online
    .filter((m) => m.currentActivity && !inFireteam.has(m.membershipId))
    .map((m) => h("li", { class: "person", "data-member": m.membershipId },
      memberLink(m), h("span", { class: "activity" }, m.currentActivity.name),
      timer(m.currentActivity.startedAt))));
  $("#idle").replaceChildren(...online.filter((m) => !m.currentActivity)
    .map((m) => h("li", { class: "person", "data-member": m.membershipId }, memberLink(m),
      h("span", { class: "activity muted" }, m.isPrivate ? "activity hidden (private)" : "in orbit"))));
  const nobody = $("#nobody");
  if (nobody) nobody.hidden = online.length > 0;
}

function renderOffline() {
  const list = $("#offline");
  if (!list) return;
  list.replaceChildren(...state.members.offline.map((m) => h("li", { class: "person", "data-member": m.membershipId },
    memberLink(m), h("span", { class: "rank" }, m.rank),
    h("span", { class: "muted" }, "seen ", relTime(m.lastOnlineAt)))));
}

function renderStats() {
  for (const dd of $$("#stats dd[data-stat]")) {
    const key = dd.dataset.stat;
    let value = state.stats[key];
    if (key === "timePlayedSeconds" && typeof value === "number") value = Math.floor(value / 3600);
    const text = number(value);
    if (dd.textContent !== text) {
      dd.textContent = text;
      dd.classList.add("changed");
      setTimeout(() => dd.classList.remove("changed"), 1500);
    }
  }
}

function recentItem(r) {
  return h("li", {}, h("a", { class: "recent-item", href: `/activities/${r.instanceId}`, "data-instance": r.instanceId },
    h("span", { class: "title" }, r.activity.name),
    h("span", { class: `badge ${r.completed ? "ok" : "fail"}` }, r.completed ? "Cleared" : "Not cleared"),
    h("span", { class: "muted" }, `${r.members.length} clan member${r.members.length === 1 ? "" : "s"} · ${duration(r.durationSeconds)} · `, relTime(r.period))));
}

function renderRecent() {
  const list = $("#recent");
  if (list) list.replaceChildren(...state.recent.map(recentItem));
}

function renderHeader() {
  const count = $("#member-count");
  if (count) count.textContent = `${state.clan.memberCount} members`;
  const online = $("#online-count");
  if (online) online.textContent = `${state.members.online.length} online`;
  const updated = $("#updated");
  if (updated && state.members.updatedAt) {
    updated.dataset.rel = state.members.updatedAt;
    updated.textContent = ago(state.members.updatedAt);
  }
  const banner = $("#banner");
  if (banner) {
    const slowed = state.polling === "slowed";
    banner.hidden = state.bungie === "ok" && !slowed;
    banner.textContent = {
      maintenance: "Bungie.net is down for maintenance: showing the last known state.",
      throttled: "Bungie.net asked us to slow down: updates are delayed.",
      ok: "More is happening than the Bungie request budget allows: live status updates are slowed (finished activities are still all recorded).",
    }[state.bungie] || "Bungie.net is unreachable: showing the last known state.";
  }
}

function applySnapshot(frame) {
  state = { ...state, ...frame };
  renderHeader();
  renderOnline();
  renderOffline();
  renderStats();
  renderRecent();
}

// ------------------------------------------------------------------ feed

const FEED_LIMIT = 50;
const feedList = $("#feed");
let lastEventId = Number(feedList?.dataset.lastEvent || 0);

function addEvent(event) {
  if (event.id <= lastEventId) return;
  lastEventId = event.id;
  if (!feedList) return;
  const item = h("li", { class: `event kind-${event.kind} fresh`, "data-event": event.id },
    h("span", { class: "text" }, event.text), relTime(event.occurredAt));
  feedList.prepend(item);
  while (feedList.children.length > FEED_LIMIT) feedList.lastElementChild.remove();
}

// ------------------------------------------------------------------ live connection

let retry = 1000;

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ resume: lastEventId }));
  });
  socket.addEventListener("message", (message) => {
    // Back off afresh only once the server has said something: a connection refused
    // right after it opened (1013, too many from this address) keeps backing off.
    retry = 1000;
    let frame;
    try { frame = JSON.parse(message.data); } catch { return; }
    if (frame.type === "event") addEvent(frame.event);
    else if (frame.type === "snapshot" && state) applySnapshot(frame);
    else if (frame.type === "resync") location.reload(); // the log was reset: start afresh
    else if (frame.type === "error") console.warn("server:", frame.error);
  });
  socket.addEventListener("close", () => {
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  });
}

// ------------------------------------------------------------------ post game carnage reports

document.addEventListener("click", (event) => {
  const link = event.target.closest("a.recent-item");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || !$("#pgcr")) return;
  event.preventDefault();
  openReport(link.dataset.instance);
});

// ------------------------------------------------------------------ start

const initial = $("#initial-state");
if (initial) state = JSON.parse(initial.textContent);
tickTimers();
setInterval(tickTimers, 1000);
setInterval(tickRelative, 10000);
if (feedList) connect();
