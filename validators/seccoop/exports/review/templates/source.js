"use strict";
const spanRecord = JSON.parse(document.getElementById("review-data").textContent).spans;
const segments = Array.from(document.querySelectorAll(".seg"));
const cards = Array.from(document.querySelectorAll("#panel .card"));
const quotes = Array.from(document.querySelectorAll("#panel [data-span]"));
const hint = document.getElementById("panel-hint");

function spansOf(segment) { return segment.dataset.spans.split(" "); }

// Mark every segment of the chosen spans and show the records they support.
function select(spanIds) {
  const chosen = new Set(spanIds);
  const records = new Set(spanIds.map((id) => spanRecord[id]));
  for (const segment of segments) {
    segment.setAttribute("aria-pressed", String(spansOf(segment).some((id) => chosen.has(id))));
  }
  for (const card of cards) card.hidden = !records.has(card.id);
  for (const quote of quotes) quote.classList.toggle("current", chosen.has(quote.dataset.span));
  hint.hidden = records.size > 0;
}

for (const segment of segments) {
  segment.addEventListener("click", () => select(spansOf(segment)));
  segment.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(spansOf(segment));
    }
  });
}

// A link such as source-x.html#span-event-y-1 selects that span.
function selectFromHash() {
  const id = decodeURIComponent(location.hash.slice(1));
  if (Object.hasOwn(spanRecord, id)) select([id]);
}
window.addEventListener("hashchange", selectFromHash);
selectFromHash();
