// The member page's "usually online" grid in the viewer's own time zone. The server
// writes it in UTC, labelled so (what a page without JavaScript shows); here each hour
// moves by the viewer's offset from UTC, whole hours (a zone of UTC+5:30 is shown by the
// nearest whole hour, and says so).

import { $, $$ } from "./dom.js";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const table = $("#heatmap");
const zoneLabel = $("#heatmap-zone");

function offsetText(minutes) {
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  const mins = abs % 60;
  return `UTC${sign}${Math.floor(abs / 60)}${mins ? `:${String(mins).padStart(2, "0")}` : ""}`;
}

if (table && zoneLabel) {
  const offset = -new Date().getTimezoneOffset(); // minutes east of UTC, now
  const shift = Math.round(offset / 60);
  const rows = $$("tbody tr", table).map((tr) => $$("td", tr));
  const utc = rows.flat().map((td) => ({ level: td.className, share: td.dataset.share }));
  if (utc.length === 7 * 24) {
    rows.forEach((cells, day) => cells.forEach((td, hour) => {
      const from = utc[(((day * 24 + hour - shift) % 168) + 168) % 168];
      const text = `${from.share}%`;
      td.className = from.level;
      td.dataset.share = from.share;
      td.title = `${DAYS[day]} ${String(hour).padStart(2, "0")}:00 your time: online ${text} of the time`;
      const hidden = $(".vh", td);
      if (hidden) hidden.textContent = text;
    }));
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const rounded = offset % 60 ? `, by the nearest whole hour` : "";
    zoneLabel.textContent = `your time: ${zone ? `${zone}, ` : ""}${offsetText(offset)}${rounded}`;
  }
}
