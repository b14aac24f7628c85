// The leaderboards' countdown to the weekly reset, kept current to the minute in the
// browser (the server writes the first figure; render/leaderboards.py countdown says it
// the same way). At the reset itself the page reloads: a new week has begun.

import { $, serverNow, setServerTime } from "./dom.js";

function countdown(ms) {
  const minutes = Math.max(0, Math.ceil(ms / 60000)); // rounded up, as the server does
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor(minutes / 60) % 24;
  const mins = minutes % 60;
  if (days) return `${days} d ${hours} h`;
  if (hours) return `${hours} h ${mins} min`;
  return mins ? `${mins} min` : "now";
}

const clock = $("#reset-countdown");
if (clock) {
  setServerTime(clock.dataset.now); // the viewer's clock may be off: count by the server's
  const until = Date.parse(clock.dataset.until);
  const tick = () => {
    const left = until - serverNow();
    if (left <= 0) location.reload();
    else if (clock.textContent !== countdown(left)) clock.textContent = countdown(left);
  };
  tick();
  setInterval(tick, 15000);
}
