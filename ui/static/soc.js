// The only script: a "select all" checkbox for the alert queue. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  for (const master of document.querySelectorAll("input[data-select-all]")) {
    const name = master.dataset.selectAll;
    master.addEventListener("change", () => {
      for (const box of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
        box.checked = master.checked;
      }
    });
  }
});
