// Keyboard shortcuts of the duplicate review pages (docs/linkage-review.md), for a clerk who
// decides pair after pair without the mouse. Keys act only when no field has the focus.
//   pair page:  a  "same person": the reason field takes the focus, Enter asks to merge
//               r  "not the same person": the reason field takes the focus, Enter rejects
//               n  the next pair to review (the queue's first pending pair)
//   queue page: n  opens the first pair of the list
// Esc in the reason field gives the keys back.
(() => {
  const form = document.querySelector("form[data-review-decision]");
  const next = document.querySelector("[data-next-pair]");
  const mode = document.querySelector("[data-review-mode]");
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  const choose = (decision) => {
    if (!form) return;
    form.action = form.dataset[decision];
    form.dataset.chosen = decision;
    if (mode) mode.textContent = mode.dataset[decision];
    form.querySelector("#reason").focus();
  };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
      return;
    }
    if (typing(document.activeElement)) return;
    if (event.key === "a") choose("accept");
    else if (event.key === "r") choose("reject");
    else if (event.key === "n" && next) window.location.assign(next.getAttribute("href"));
    else return;
    event.preventDefault();
  });
  document.querySelectorAll("[data-review-keys]").forEach((hint) => { hint.hidden = false; });
})();
