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
      if (status) {
        status.textContent =
          error.message === "413"
            ? "Not saved: the text is longer than the portal takes. Shorten it; nothing is lost here."
            : "Not saved yet: check your connection";
      }
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

// A form whose text is larger than the server reads is not sent: the page stays as it is,
// with everything typed, and says how much to cut.
(() => {
  const encoder = new TextEncoder();
  const megabytes = (bytes) => (bytes / 1048576).toFixed(1) + " MB";
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-max-bytes")) return;
      const limit = Number(form.getAttribute("data-max-bytes"));
      let size = 0;
      for (const [, value] of new FormData(form)) {
        if (typeof value === "string") size += encoder.encode(value).length;
      }
      let notice = form.querySelector("[data-too-large]");
      if (size <= limit) {
        if (notice) notice.remove();
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!notice) {
        notice = document.createElement("p");
        notice.className = "form-error";
        notice.setAttribute("role", "alert");
        notice.setAttribute("data-too-large", "");
        form.prepend(notice);
      }
      notice.textContent =
        "The text is " + megabytes(size) + "; the portal takes at most " + megabytes(limit) +
        " in one report. Nothing was sent and nothing you typed is lost: shorten it, or attach " +
        "long material as a file.";
      notice.scrollIntoView({ block: "center" });
    },
    true,
  );
})();

// A peer's form shows the parts for its kind only (TAXII server or MISP feed).
(() => {
  const form = document.querySelector("form[data-peer-form]");
  if (!form) return;
  const kind = form.querySelector("select[name=kind]");
  const show = () => {
    for (const part of form.querySelectorAll("fieldset[data-peer-kind]")) {
      part.hidden = part.dataset.peerKind !== kind.value;
    }
  };
  kind.addEventListener("change", show);
  show();
})();
