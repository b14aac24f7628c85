// Live changes that slide instead of jump: when a member comes online or a fireteam forms,
// what sits below it glides to its new place (a transform, FLIP: first, last, invert, play)
// rather than leaping there in one frame. Nested elements glide by their own part of the
// move only, so a row inside a panel that moved as a whole does not move twice.

const MOVED_AT_LEAST = 1; // px
const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)");

// Runs `mutate`, then makes every element `selector` matches start where it was and glide.
export function glide(selector, mutate) {
  const elements = Array.from(document.querySelectorAll(selector));
  const before = new Map(elements.map((el) => [el, el.getBoundingClientRect().top]));
  mutate();
  const moved = new Map(); // element -> its whole move, in px
  for (const [el, top] of before) {
    if (!el.isConnected) continue;
    const dy = top - el.getBoundingClientRect().top;
    if (Math.abs(dy) >= MOVED_AT_LEAST) moved.set(el, dy);
  }
  for (const [el, dy] of moved) {
    let own = dy;
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (moved.has(up)) { own -= moved.get(up); break; }
    }
    if (Math.abs(own) < MOVED_AT_LEAST) continue;
    el.animate([{ transform: `translateY(${own}px)` }, { transform: "none" }],
      { duration: reduced?.matches ? 1 : 350, easing: "ease-out" });
  }
}
