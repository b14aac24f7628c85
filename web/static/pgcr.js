// The Post Game Carnage Report dialog: a click on a recent activity shows its report
// (already fetched by the server) without leaving the page. The same markup as the
// server's pgcr.html: a table on a wide screen, one card per player on a narrow one.

import { $, h, duration, relTime } from "./dom.js";

const WON = new Set(["Cleared", "Victory"]);
const LOST = new Set(["Not cleared", "Defeat"]);

// A match by mode and map, "Control on Midtown" (clanactors/bungie/modes.py match_name).
export function matchName(activityName, mode, modeName) {
  if (!modeName || mode === 5 || activityName.toLowerCase().includes(modeName.toLowerCase())) return activityName;
  return `${modeName} on ${activityName}`;
}

function teamName(report, entry) {
  const team = report.teams.find((t) => t.teamId === entry.team);
  return team ? team.name : "-";
}

function playerRow(report, e, pvp, teamed) {
  const cell = (label, value) => h("td", { "data-label": label }, value);
  const name = e.isClanMember
    ? [h("a", { href: `/members/${encodeURIComponent(e.membershipId)}` }, e.displayName), " ",
      h("span", { class: "tag" }, "clan")]
    : e.displayName;
  return h("tr", { class: e.isClanMember ? "clan" : null, "data-player": e.membershipId },
    h("th", { scope: "row", "data-label": "Player" }, name),
    cell("Class", e.characterClass),
    teamed ? cell("Team", teamName(report, e)) : null,
    pvp ? cell("Score", e.score ?? 0) : null,
    cell("Kills", e.kills), cell("Deaths", e.deaths), cell("Assists", e.assists),
    cell("K/D", (e.killsDeathsRatio ?? 0).toFixed(2)),
    cell("Time", duration(e.timePlayedSeconds)),
    cell("Completed", e.completed ? "Yes" : "No"));
}

export function reportView(report) {
  const teams = report.teams || [];
  const teamed = teams.length > 0;
  const pvp = Boolean(report.pvp) || teamed;
  const columns = ["Player", "Class", ...(teamed ? ["Team"] : []), ...(pvp ? ["Score"] : []),
    "Kills", "Deaths", "Assists", "K/D", "Time", "Completed"];
  const period = report.period || "";
  return [
    h("h2", { id: "pgcr-title" }, pvp ? matchName(report.activity.name, report.mode, report.modeName) : report.activity.name),
    h("p", { class: "pgcr-meta" },
      report.modeName ? h("span", { class: "badge mode" }, report.modeName) : null,
      h("span", { class: `badge result ${WON.has(report.result) ? "ok" : LOST.has(report.result) ? "fail" : ""}` }, report.result || ""),
      h("time", { datetime: period }, `${period.slice(0, 10)} ${period.slice(11, 16)} UTC`),
      ` · ${duration(report.durationSeconds)} · `, relTime(period)),
    teamed ? h("ul", { class: "teams" }, teams.map((t) => h("li", { class: `team ${t.standing === 0 ? "won" : "lost"}` },
      h("span", { class: "team-name" }, t.name), " ",
      h("span", { class: "team-score" }, t.score), " ",
      h("span", { class: "team-result" }, t.result)))) : null,
    h("table", { class: "pgcr-table cards" },
      h("thead", {}, h("tr", {}, columns.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, report.entries.map((e) => playerRow(report, e, pvp, teamed)))),
  ];
}

// The dialog closes the way a phone user expects: the ✕ that stays in reach (sticky), a
// tap outside it, Escape, and the Back button (opening it adds a history entry that
// closing it takes away again).
function wire(dialog) {
  if (dialog.dataset.wired) return;
  dialog.dataset.wired = "1";
  dialog.addEventListener("click", (event) => {
    if (event.target !== dialog) return; // a click inside the report
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right
      && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close(); // on the backdrop
  });
  dialog.addEventListener("close", () => {
    if (history.state && history.state.pgcr) history.back();
  });
  window.addEventListener("popstate", () => {
    if (dialog.open) dialog.close();
  });
}

export async function openReport(instanceId) {
  const dialog = $("#pgcr");
  const body = $("#pgcr-body");
  if (!dialog || !body) return false;
  wire(dialog);
  const page = $("#pgcr-page", dialog);
  if (page) page.href = `/activities/${encodeURIComponent(instanceId)}`;
  body.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  if (!dialog.open) {
    history.pushState({ pgcr: instanceId }, "");
    dialog.showModal();
    dialog.scrollTop = 0;
  }
  const response = await fetch(`/api/activities/${encodeURIComponent(instanceId)}`);
  if (!response.ok) {
    // The server says why: Bungie has none, cannot be reached now, or it is not fetched yet.
    const problem = await response.json().catch(() => null);
    body.replaceChildren(h("h2", { id: "pgcr-title" }, "Report not available"),
      h("p", { class: "muted" }, problem && problem.error ? problem.error : "Try again shortly."));
    return true;
  }
  body.replaceChildren(...reportView(await response.json()).filter(Boolean));
  return true;
}
