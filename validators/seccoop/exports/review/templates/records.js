"use strict";
const type = document.getElementById("filter-type");
const shown = document.getElementById("shown");
const cards = Array.from(document.querySelectorAll(".card"));

function applyFilter() {
  let count = 0;
  for (const card of cards) {
    const match = !type.value || card.dataset.type === type.value;
    card.hidden = !match;
    count += match;
  }
  shown.textContent = `${count} of ${cards.length} records`;
}

type.addEventListener("change", applyFilter);
applyFilter();
