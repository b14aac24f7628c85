// The Post Game Carnage Report dialog: a click on a recent activity shows its report
// (already fetched by the server) without leaving the page.

import { $, h, duration, relTime } from "./dom.js";

export async function openReport(instanceId) {
  const dialog = $("#pgcr");
  const body = $("#pgcr-body");
  if (!dialog || !body) return false;
  body.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  if (!dialog.open) dialog.showModal();
  const response = await fetch(`/api/activities/${encodeURIComponent(instanceId)}`);
  if (!response.ok) {
    body.replaceChildren(h("h2", { id: "pgcr-title" }, "Report not available yet"),
      h("p", { class: "muted" }, "Bungie publishes reports a few minutes after an activity ends."));
    return true;
  }
  const report = await response.json();
  body.replaceChildren(
    h("h2", { id: "pgcr-title" }, report.activity.name),
    h("p", { class: "muted" }, `${duration(report.durationSeconds)} · `, relTime(report.period)),
    h("div", { class: "table-wrap" }, h("table", { class: "pgcr-table" },
      h("thead", {}, h("tr", {}, ["Player", "Class", "Kills", "Deaths", "Assists", "Completed"]
        .map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, report.entries.map((e) => h("tr", { class: e.isClanMember ? "clan" : null },
        h("th", { scope: "row" }, e.displayName, e.isClanMember ? h("span", { class: "tag" }, "clan") : null),
        h("td", {}, e.characterClass), h("td", {}, e.kills), h("td", {}, e.deaths),
        h("td", {}, e.assists), h("td", {}, e.completed ? "Yes" : "No")))))));
  return true;
}
