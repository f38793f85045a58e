// Settings pages: small enhancements; every form works without them.
"use strict";
// A read-only key or snippet is selected whole on focus, ready for Ctrl+C.
document.addEventListener("focusin", (event) => {
  const field = event.target.closest("[data-select-all]");
  if (field && field.select) field.select();
});
// The scoring form says what the weights add up to, as they are typed.
function showWeightTotal() {
  const form = document.getElementById("scoring-form");
  const out = document.getElementById("weight-total");
  if (!form || !out) return;
  let total = 0;
  for (const input of form.querySelectorAll("input.weight")) {
    const row = input.closest("tr");
    const toggle = row && row.querySelector("input[type=checkbox]");
    const value = Number(input.value);
    if (Number.isFinite(value) && (!toggle || toggle.checked)) total += value;
  }
  out.textContent = "Enabled sources' weights add up to " + total + ".";
}
document.addEventListener("input", (event) => {
  if (event.target.closest("#scoring-form")) showWeightTotal();
});
document.addEventListener("DOMContentLoaded", showWeightTotal);
