// Live changes that slide instead of jump: when a member comes online or a fireteam forms,
// what sits below it glides to its new place (a transform, FLIP: first, last, invert, play)
// rather than leaping there in one frame, across as well as down (fireteam cards sit in a
// grid). Nested elements glide by their own part of the
// move only, so a row inside a panel that moved as a whole does not move twice.

const MOVED_AT_LEAST = 1; // px
const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)");

// Runs `mutate`, then makes every element `selector` matches start where it was and glide.
export function glide(selector, mutate) {
  const elements = Array.from(document.querySelectorAll(selector));
  const where = (el) => { const box = el.getBoundingClientRect(); return [box.left, box.top]; };
  const before = new Map(elements.map((el) => [el, where(el)]));
  mutate();
  const far = ([dx, dy]) => Math.abs(dx) >= MOVED_AT_LEAST || Math.abs(dy) >= MOVED_AT_LEAST;
  const moved = new Map(); // element -> its whole move [dx, dy], in px
  for (const [el, [left, top]] of before) {
    if (!el.isConnected) continue;
    const [x, y] = where(el);
    if (far([left - x, top - y])) moved.set(el, [left - x, top - y]);
  }
  for (const [el, [dx, dy]] of moved) {
    let own = [dx, dy];
    for (let up = el.parentElement; up; up = up.parentElement) {
      const outer = moved.get(up);
      if (outer) { own = [dx - outer[0], dy - outer[1]]; break; }
    }
    if (!far(own)) continue;
    el.animate([{ transform: `translate(${own[0]}px, ${own[1]}px)` }, { transform: "none" }],
      { duration: reduced?.matches ? 1 : 350, easing: "ease-out" });
  }
}
