// Segment rules builder: operators follow the chosen field, and the match count updates live.
// The form works without this script: Preview and Save submit it, and the server redraws it.
"use strict";
(() => {
  const form = document.querySelector("form.rule-builder");
  if (!form) return;
  const catalogue = JSON.parse(form.dataset.catalogue || "{}");
  const fields = catalogue.fields || {};
  const labels = catalogue.labels || {};
  const output = document.getElementById("live-preview");
  const token = form.querySelector("input[name=csrf_token]").value;

  function fitOperators(fieldSelect) {
    const row = fieldSelect.closest(".rule-condition");
    const spec = fields[fieldSelect.value];
    if (!row || !spec) return;
    const operator = row.querySelector("[data-role=operator]");
    const value = row.querySelector("[data-role=value]");
    const hint = row.querySelector("[data-role=hint]");
    const current = operator.value;
    operator.replaceChildren(...spec.operators.map((op) => new Option(labels[op] || op, op)));
    operator.value = spec.operators.includes(current) ? current : spec.operators[0];
    if (spec.options.length) {
      value.setAttribute("list", "options-" + fieldSelect.value.replace(/\./g, "-"));
    } else {
      value.removeAttribute("list");
    }
    hint.textContent = spec.kind + (spec.options.length ? ": " + spec.options.join(", ") : "");
  }

  let timer = null;
  let asked = 0;
  function preview() {
    const mine = ++asked;
    const body = new FormData(form);
    body.delete("action");
    output.classList.remove("error");
    output.textContent = "Counting…";
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRF-Token": token, Accept: "application/json" },
      credentials: "same-origin",
    })
      .then((response) => response.json())
      .then((answer) => {
        if (mine !== asked) return;
        if (answer.error) {
          output.classList.add("error");
          output.textContent = answer.error;
        } else {
          const n = answer.count;
          output.textContent = n.toLocaleString("en-US") + (n === 1 ? " account matches" : " accounts match") + " these rules";
          output.dataset.count = String(n);
        }
      })
      .catch(() => {
        if (mine === asked) output.textContent = "The live count is unavailable; use Preview.";
      });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(preview, 350);
  }

  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-role=field]")) fitOperators(event.target);
    later();
  });
  form.addEventListener("input", later);
  preview();
})();
