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

  // A rule error shows once, next to the condition it is about; a good answer clears it.
  function clearProblems() {
    form.querySelectorAll(".rule-error").forEach((p) => p.remove());
    form.querySelectorAll(".rule-invalid").forEach((node) => node.classList.remove("rule-invalid"));
    form.querySelectorAll("[aria-invalid]").forEach((input) => {
      input.removeAttribute("aria-invalid");
      const ids = (input.getAttribute("aria-describedby") || "").split(" ");
      input.setAttribute("aria-describedby", ids.filter((id) => !id.endsWith("-error")).join(" "));
    });
  }
  function placeProblem(path, message) {
    const node = path && form.querySelector('[data-path="' + CSS.escape(path) + '"]');
    if (!node) return false;
    const id = "rule-" + path.replace(/\./g, "-") + "-error";
    const note = document.createElement("p");
    note.className = "error rule-error";
    note.id = id;
    note.textContent = message;
    node.classList.add("rule-invalid");
    if (node.matches(".rule-condition")) {
      node.append(note);
      const value = node.querySelector("[data-role=value]");
      value.setAttribute("aria-invalid", "true");
      value.setAttribute("aria-describedby", value.getAttribute("aria-describedby") + " " + id);
    } else {
      node.querySelector(":scope > .rule-items").before(note);
    }
    return true;
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
        clearProblems();
        if (answer.error) {
          if (placeProblem(answer.path, answer.error)) {
            output.textContent = "Fix the highlighted part to see a count";
          } else {
            output.classList.add("error");
            output.textContent = answer.error;
          }
          return;
        }
        const banner = form.querySelector("[data-role=rules-banner]");
        if (banner) banner.remove();
        if (answer.count === null) {
          output.textContent = answer.note;
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
  // After a refused Preview or Save the page already shows the problem: count once it changes.
  if (!form.querySelector("[data-role=rules-banner]")) preview();
})();
