// Small progressive enhancements; every page works without this file.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.requestSubmit();
  }
});

// Report drafts save themselves on the server while the analyst types, so nothing is lost.
(() => {
  const form = document.querySelector("form[data-autosave], form[data-autosave-new]");
  if (!form) return;
  const status = document.querySelector("[data-autosave-status]");
  let timer = null;
  let busy = false;
  const fields = () => {
    const data = new FormData(form);
    data.delete("attachment");
    data.set("autosave", "1");
    return data;
  };
  const save = async () => {
    if (busy) return;
    busy = true;
    const url = form.getAttribute("data-autosave") || form.getAttribute("data-autosave-new");
    try {
      const response = await fetch(url, {
        method: "POST",
        body: fields(),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const answer = await response.json();
      if (answer.autosave_url) {
        form.removeAttribute("data-autosave-new");
        form.setAttribute("data-autosave", answer.autosave_url);
        form.setAttribute("action", answer.edit_url);
        window.history.replaceState(null, "", answer.edit_url);
      }
      if (status) status.textContent = "Draft saved " + new Date().toLocaleTimeString();
    } catch (error) {
      if (status) status.textContent = "Not saved yet: check your connection";
    } finally {
      busy = false;
    }
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
  // The form's own submit saves everything; no autosave may race it.
  form.addEventListener("submit", () => clearTimeout(timer));
})();
