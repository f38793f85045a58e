// Settings pages: small enhancements; every form works without them.
"use strict";
// A read-only key or snippet is selected whole on focus, ready for Ctrl+C.
document.addEventListener("focusin", (event) => {
  const field = event.target.closest("[data-select-all]");
  if (field && field.select) field.select();
});
// The scoring form shows each source's share as the weights are typed: weights are relative,
// a share is the weight divided by the sum of the enabled weights (as the server renders it).
function percent(part, whole) {
  const tenths = Math.floor((2000 * part + whole) / (2 * whole));
  const tenth = tenths % 10;
  return Math.floor(tenths / 10) + (tenth === 0 ? "" : "." + tenth) + "%";
}
function showWeightTotal() {
  const form = document.getElementById("scoring-form");
  const out = document.getElementById("weight-total");
  if (!form || !out) return;
  const rows = [];
  let total = 0;
  let valid = true;
  for (const input of form.querySelectorAll("input.weight")) {
    const row = input.closest("tr");
    const toggle = row && row.querySelector("input[type=checkbox]");
    const share = row && row.querySelector(".share");
    const on = !toggle || toggle.checked;
    const text = input.value.trim();
    const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    const ok = Number.isInteger(value) && value <= Number(input.max || 1000);
    if (on && !ok) valid = false;
    if (on && ok) total += value;
    rows.push({ on, value, share });
  }
  for (const { on, value, share } of rows) {
    if (!share) continue;
    if (!on) share.textContent = "off";
    else if (!valid) share.textContent = "—";
    else share.textContent = total > 0 ? percent(value, total) : "—";
  }
  if (!valid) out.textContent = "";
  else if (total === 0) out.textContent = "No enabled source has a weight above 0, so nothing would be scored.";
  else out.textContent = "The enabled sources' weights sum to " + total + "; each share is weight ÷ " + total + ".";
}
document.addEventListener("input", (event) => {
  if (event.target.closest("#scoring-form")) showWeightTotal();
});
document.addEventListener("DOMContentLoaded", showWeightTotal);
