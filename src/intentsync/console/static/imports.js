// Imports: refuse a file over the size limit before sending it, and follow a running import.
"use strict";
(() => {
  const form = document.getElementById("upload-form");
  const sizeError = document.getElementById("upload-size");
  if (form && sizeError) {
    form.addEventListener("submit", (event) => {
      const input = form.querySelector("input[type=file]");
      const limit = Number(form.dataset.maxBytes);
      const file = input && input.files && input.files[0];
      if (file && limit && file.size > limit) {
        event.preventDefault();
        sizeError.textContent = `${file.name} is larger than the ${form.dataset.maxLabel} ` +
          "an upload may be; split it into smaller files and import each.";
        sizeError.hidden = false;
      } else {
        sizeError.hidden = true;
      }
    });
  }

  const box = document.getElementById("import-status");
  const url = box && box.dataset.statusUrl;
  if (!url) return;
  const progress = document.getElementById("import-progress");
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((state) => {
        for (const [name, text] of Object.entries(state.fields)) {
          for (const node of box.querySelectorAll(`[data-field="${name}"]`)) node.textContent = text;
        }
        if (progress) progress.value = state.percent;
        if (state.status !== "running") window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(() => window.setTimeout(poll, 5000));
  };
  window.setTimeout(poll, 1000);
})();
