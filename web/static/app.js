// clanactors: keeps the server-rendered front page live. No framework, no build step.
// Every Bungie-provided string goes into the page with textContent, never as HTML.
//
// The WebSocket sends a snapshot, then patches (README "What it serves"). The page is updated in
// place, keyed by id: an element whose item did not change is left alone, so keyboard
// focus, text selection and a click in progress survive updates. The words mirror
// clanactors/server/front.py, which writes the first paint.

import { $, $$, h, ago, duration, elapsed, relTime, setServerTime } from "./dom.js";
import { openReport } from "./pgcr.js";
import { glide } from "./glide.js";

// ------------------------------------------------------------------ state

const state = {
  version: null, // of the last frame applied; null until the first snapshot
  members: new Map(),
  fireteams: new Map(),
  membersUpdatedAt: null,
  stats: null,
  recent: [],
  clan: null,
  bungie: "ok",
  polling: "ok",
};

function applySnapshot(frame) {
  state.members = new Map([...frame.members.online, ...frame.members.offline].map((m) => [m.membershipId, m]));
  state.membersUpdatedAt = frame.members.updatedAt;
  state.fireteams = new Map(frame.fireteams.map((f) => [f.id, f]));
  state.stats = frame.stats;
  state.recent = frame.recent;
  state.clan = frame.clan;
  state.bungie = frame.bungie;
  state.polling = frame.polling;
  state.version = frame.version;
}

function upsert(map, change, key) {
  for (const item of change.upsert || []) map.set(item[key], item);
  for (const id of change.remove || []) map.delete(id);
}

function applyPatch(frame) {
  if (frame.members) {
    upsert(state.members, frame.members, "membershipId");
    if ("updatedAt" in frame.members) state.membersUpdatedAt = frame.members.updatedAt;
  }
  if (frame.fireteams) upsert(state.fireteams, frame.fireteams, "id");
  if (frame.stats) state.stats = { ...state.stats, ...frame.stats };
  for (const part of ["recent", "clan", "bungie", "polling"]) if (part in frame) state[part] = frame[part];
  state.version = frame.version;
}

// The same order as the server's (clanactors/wire.py): online by activity start, orbit
// last; offline by last seen, newest first.
const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
function onlineOrder(a, b) {
  const key = (m) => [m.currentActivity === null ? 1 : 0, m.currentActivity?.startedAt || "",
    m.displayName.toLowerCase(), m.membershipId];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return compare(ka[i], kb[i]);
  return 0;
}
const offlineOrder = (a, b) =>
  compare(b.lastOnlineAt || "", a.lastOnlineAt || "") || compare(b.membershipId, a.membershipId);

// ------------------------------------------------------------------ keyed, in-place updates

function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function move(parent, el, before) {
  // moveBefore keeps focus and selection on a moved element (insertBefore drops them).
  if (el.isConnected && parent.moveBefore) parent.moveBefore(el, before);
  else parent.insertBefore(el, before);
}

// Make `parent`'s children match `items`: reuse each child by its data-key, update it in
// place, move only what is out of order, create what is new, remove what is gone.
function syncList(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const el of Array.from(parent.children)) {
    if (el.dataset.key === undefined) el.remove();
    else existing.set(el.dataset.key, el);
  }
  const wanted = new Set(items.map(keyOf));
  for (const [key, el] of existing) if (!wanted.has(key)) el.remove();
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    let el = existing.get(key);
    if (!el) {
      el = create(item);
      el.dataset.key = key;
    }
    update(el, item);
    if (el === cursor) cursor = cursor.nextElementSibling;
    else move(parent, el, cursor);
  }
}

// ------------------------------------------------------------------ the words (front.py)

function twins() {
  const counts = new Map();
  for (const m of state.members.values()) counts.set(m.displayName, (counts.get(m.displayName) || 0) + 1);
  return new Set([...counts].filter(([, count]) => count > 1).map(([name]) => name));
}
const code = (m) => (m.bungieName && m.bungieName.includes("#") ? `#${m.bungieName.split("#").pop()}` : "");
const guests = (count) => `+${count} guest${count === 1 ? "" : "s"}`;
const idleText = (m) => (m.checking ? "checking…" : m.isPrivate ? "activity hidden (private)" : "in orbit");
const statsReady = (s) => Boolean(s.members) && s.membersCounted >= s.members;

function tile(s, key) {
  if (!statsReady(s)) return s.members ? `loading (${s.membersCounted}/${s.members} members)` : "loading";
  if (key === "kd") return (s.kills / Math.max(s.deaths, 1)).toFixed(2);
  const value = key === "timePlayedSeconds" ? Math.floor(s[key] / 3600) : s[key];
  return value.toLocaleString("en-US");
}

// front.py recent_title / recent_mode / recent_result.
const recentTitle = (r) => (r.activity.match ? r.activity.match.name : r.activity.name);
const recentMode = (r) => (r.activity.match || r.activity).modeName || "";
function recentResult(r) {
  const match = r.activity.match;
  if (match) {
    if (match.result === null) return r.completed ? ["Completed", ""] : ["Not completed", "fail"];
    return [match.result, match.won ? "ok" : "fail"];
  }
  return r.completed ? ["Cleared", "ok"] : ["Not cleared", "fail"];
}

const recentDetail = (r) =>
  `${r.members.length} clan member${r.members.length === 1 ? "" : "s"} · ${duration(r.durationSeconds)} · `;

// ------------------------------------------------------------------ rendering

function memberName(link, member, shared) {
  // <a class="name">Name<span class="code">#0042</span></a>; the link itself is kept.
  setAttr(link, "href", `/members/${member.membershipId}`);
  let text = link.firstChild;
  if (!text || text.nodeType !== Node.TEXT_NODE) text = link.insertBefore(document.createTextNode(""), link.firstChild);
  if (text.data !== member.displayName) text.data = member.displayName;
  let tag = link.querySelector(".code");
  if (shared.has(member.displayName)) {
    if (!tag) tag = link.appendChild(h("span", { class: "code" }));
    setText(tag, code(member));
  } else if (tag) tag.remove();
}

function setTimer(el, iso) {
  if (el.dataset.since !== (iso || "")) {
    el.dataset.since = iso || "";
    el.textContent = elapsed(iso);
  }
}

function renderOnline(shared) {
  const online = [...state.members.values()].filter((m) => m.isOnline).sort(onlineOrder);
  const fireteams = [...state.fireteams.values()]
    .sort((a, b) => compare(a.startedAt || "", b.startedAt || "") || compare(a.id, b.id));
  const inFireteam = new Set(fireteams.flatMap((f) => f.members));

  syncList($("#fireteams"), fireteams, (f) => f.id,
    () => h("article", { class: "fireteam" },
      h("header", {}, h("h3", { class: "activity-name" }),
        h("span", { class: "timer", "data-since": "", title: "time in activity" })),
      h("ul", { class: "chips" })),
    (el, f) => {
      setText($(".activity-name", el), f.activity.name);
      setTimer($(".timer", el), f.startedAt);
      const chips = f.members.filter((id) => state.members.has(id)).map((id) => state.members.get(id));
      const items = f.guests ? [...chips, { guests: f.guests }] : chips;
      syncList($(".chips", el), items, (m) => (m.guests ? "guests" : m.membershipId),
        (m) => (m.guests ? h("li", { class: "guest" }) : h("li", {}, h("a", { class: "name" }))),
        (li, m) => (m.guests ? setText(li, guests(m.guests)) : memberName($("a", li), m, shared)));
    });

  syncList($("#solo"), online.filter((m) => m.currentActivity && !inFireteam.has(m.membershipId)),
    (m) => m.membershipId,
    () => h("li", { class: "person" }, h("a", { class: "name" }), h("span", { class: "activity" }),
      h("span", { class: "timer", "data-since": "" })),
    (el, m) => {
      memberName($("a.name", el), m, shared);
      setText($(".activity", el), m.currentActivity.name);
      setTimer($(".timer", el), m.currentActivity.startedAt);
    });

  syncList($("#idle"), online.filter((m) => !m.currentActivity), (m) => m.membershipId,
    () => h("li", { class: "person" }, h("a", { class: "name" }), h("span", { class: "activity muted" })),
    (el, m) => {
      memberName($("a.name", el), m, shared);
      setText($(".activity", el), idleText(m));
    });

  $("#nobody").hidden = online.length > 0 || !state.membersUpdatedAt;
  $("#roster-loading").hidden = Boolean(state.membersUpdatedAt);
}

function renderOffline(shared) {
  const offline = [...state.members.values()].filter((m) => !m.isOnline).sort(offlineOrder);
  setText($("#offline-count"), `${offline.length} member${offline.length === 1 ? "" : "s"}`);
  syncList($("#offline"), offline, (m) => m.membershipId,
    () => h("li", { class: "person" }, h("a", { class: "name" }), h("span", { class: "rank" }),
      h("span", { class: "private" }, "private"),
      h("span", { class: "seen muted" }, "seen ", h("time", { "data-rel": "" }))),
    (el, m) => {
      memberName($("a.name", el), m, shared);
      setText($(".rank", el), m.rank);
      $(".private", el).hidden = !m.isPrivate;
      const time = $("time", el);
      if (time.dataset.rel !== (m.lastOnlineAt || "")) {
        time.dataset.rel = m.lastOnlineAt || "";
        time.textContent = ago(m.lastOnlineAt);
      }
    });
}

function renderStats() {
  const ready = statsReady(state.stats);
  for (const dd of $$("#stats dd[data-stat]")) {
    const text = tile(state.stats, dd.dataset.stat);
    const wasLoading = dd.classList.contains("loading");
    dd.classList.toggle("loading", !ready);
    if (dd.textContent !== text) {
      dd.textContent = text;
      if (ready && !wasLoading) { // a total that moved: catch the eye
        dd.classList.add("changed");
        setTimeout(() => dd.classList.remove("changed"), 1500);
      }
    }
  }
}

function renderRecent() {
  syncList($("#recent"), state.recent, (r) => r.instanceId,
    (r) => h("li", {}, h("a", { class: "recent-item", href: `/activities/${r.instanceId}`, "data-instance": r.instanceId },
      h("span", { class: "title" }),
      h("span", { class: "badges" }, h("span", { class: "badge mode" }), h("span", { class: "badge result" })),
      h("span", { class: "muted" }, h("span", { class: "detail" }), h("time", { "data-rel": "" })))),
    (el, r) => {
      setText($(".title", el), recentTitle(r));
      const mode = $(".badge.mode", el);
      setText(mode, recentMode(r));
      mode.hidden = !recentMode(r);
      const result = $(".badge.result", el);
      const [text, kind] = recentResult(r);
      setAttr(result, "class", `badge result ${kind}`);
      setText(result, text);
      setText($(".detail", el), recentDetail(r));
      const time = $("time", el);
      if (time.dataset.rel !== r.period) {
        time.dataset.rel = r.period;
        time.textContent = ago(r.period);
      }
    });
  $("#recent-empty").hidden = state.recent.length > 0;
}

const BANNERS = {
  maintenance: "Bungie.net is down for maintenance: showing the last known state.",
  throttled: "Bungie.net asked us to slow down: updates are delayed.",
  ok: "More is happening than the Bungie request budget allows: live status updates are slowed (finished activities are still all recorded).",
};

function renderHeader() {
  setText($("#member-count"), `${state.clan.memberCount} members`);
  const online = [...state.members.values()].filter((m) => m.isOnline).length;
  setText($("#online-count"), `${online} online`);
  const updated = $("#updated");
  if (updated && state.membersUpdatedAt) {
    updated.dataset.rel = state.membersUpdatedAt;
    setText(updated, ago(state.membersUpdatedAt));
  }
  const banner = $("#banner");
  if (banner) {
    banner.hidden = state.bungie === "ok" && state.polling !== "slowed";
    setText(banner, BANNERS[state.bungie] || "Bungie.net is unreachable: showing the last known state.");
  }
}

// What glides when the lists change (glide.js): the panels and each list's rows.
const GLIDES = "#live > .panel, #live .panel > *, #fireteams > *, #solo > *, #idle > *, #recent > *, #offline > *, #feed > *";

function render() {
  const shared = twins();
  glide(GLIDES, () => {
    renderHeader();
    renderOnline(shared);
    renderOffline(shared);
    renderStats();
    renderRecent();
  });
}

// ------------------------------------------------------------------ feed

const FEED_LIMIT = 50;
// Hidden by the stylesheet unless the "online/offline" toggle is on (front.py).
const PRESENCE_KINDS = new Set(["member_online", "member_offline"]);
// Crucible and Gambit modes (clanactors/bungie/modes.py PVP_MODES): a match, not a clear.
const PVP_MODES = new Set([5, 10, 12, 15, 19, 25, 31, 32, 37, 38, 39, 41, 42, 43, 44, 45, 48, 49, 50,
  51, 52, 53, 54, 55, 56, 57, 59, 60, 61, 62, 63, 65, 68, 69, 70, 71, 72, 73, 74, 75, 80, 81, 84, 89, 90, 91]);
const feedList = $("#feed");

// The "online/offline" toggle is remembered in this browser (the stylesheet does the
// showing and hiding, so without JavaScript it still works, unremembered).
const PRESENCE_KEY = "clanactors.showPresence";
const presenceToggle = $("#show-presence");
if (presenceToggle) {
  try {
    presenceToggle.checked = localStorage.getItem(PRESENCE_KEY) === "1";
    presenceToggle.addEventListener("change", () => {
      localStorage.setItem(PRESENCE_KEY, presenceToggle.checked ? "1" : "0");
    });
  } catch { /* storage refused (a private window): the toggle still works */ }
}
let lastEventId = Number(feedList?.dataset.lastEvent || 0);

function addEvent(event) {
  if (event.id <= lastEventId) return;
  lastEventId = event.id;
  const pvp = event.activity && PVP_MODES.has(event.activity.mode) ? " pvp" : "";
  const item = h("li", { class: `event kind-${event.kind}${pvp} fresh`, "data-event": event.id },
    h("span", { class: "text" }, event.text), relTime(event.occurredAt));
  glide(GLIDES, () => {
    feedList.prepend(item);
    while (feedList.children.length > FEED_LIMIT) feedList.lastElementChild.remove();
  });
  if (!PRESENCE_KINDS.has(event.kind)) $("#feed-empty").hidden = true;
}

// ------------------------------------------------------------------ live connection

let retry = 1000;
const RETRY_MOST = 8000; // back online within seconds of the server's return
const LOST_AFTER = 1500; // a blip (a server restart) shows no banner

// The connection to the server: while it is down the page says so (a banner that does
// not move the page), timers stop and are marked paused; a fresh snapshot resumes both.
let live = false;
let lostTimer = null;
function setLive(on) {
  clearTimeout(lostTimer);
  lostTimer = null;
  live = on;
  document.body.classList.toggle("conn-lost", !on);
  const banner = $("#connection");
  if (banner) banner.hidden = on;
  if (on) tickTimers();
}
function connectionLost() {
  if (lostTimer === null && (live || !document.body.classList.contains("conn-lost"))) {
    lostTimer = setTimeout(() => setLive(false), LOST_AFTER);
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  let asked = false; // a snapshot was asked for after a version gap
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ resume: lastEventId }));
  });
  socket.addEventListener("message", (message) => {
    // Back off afresh only once the server has said something: a connection refused
    // right after it opened (1013, too many from this address) keeps backing off.
    retry = 1000;
    let frame;
    try { frame = JSON.parse(message.data); } catch { return; }
    if (frame.serverTime) setServerTime(frame.serverTime);
    if (frame.type === "event") addEvent(frame.event);
    else if (frame.type === "snapshot") {
      asked = false;
      applySnapshot(frame);
      render();
      setLive(true);
    } else if (frame.type === "patch") {
      if (asked || state.version === null) return; // a snapshot is on its way
      if (frame.version !== state.version + 1) {
        asked = true; // missed a frame: start again from a fresh snapshot
        socket.send(JSON.stringify({ snapshot: true }));
        return;
      }
      applyPatch(frame);
      render();
    } else if (frame.type === "resync") location.reload(); // the log was reset: start afresh
    else if (frame.type === "error") console.warn("server:", frame.error);
  });
  socket.addEventListener("close", () => {
    state.version = null; // the next connection starts with a snapshot
    connectionLost();
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, RETRY_MOST);
  });
}

// ------------------------------------------------------------------ post game carnage reports

document.addEventListener("click", (event) => {
  const link = event.target.closest("a.recent-item");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || !$("#pgcr")) return;
  event.preventDefault();
  openReport(link.dataset.instance);
});

// ------------------------------------------------------------------ timers

function tickTimers() {
  if (document.body.classList.contains("conn-lost")) return; // paused: the server is away
  for (const el of $$("[data-since]")) setText(el, elapsed(el.dataset.since));
}
function tickRelative() {
  for (const el of $$("time[data-rel]")) setText(el, ago(el.dataset.rel));
}

const livePage = $("#live");
if (livePage?.dataset.serverTime) setServerTime(livePage.dataset.serverTime);
tickTimers();
tickRelative();
setInterval(tickTimers, 1000);
setInterval(tickRelative, 10000);
if (livePage && feedList) connect();
