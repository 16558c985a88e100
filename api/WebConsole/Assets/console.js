// EmailApi console: copy buttons and the message log's auto-refresh. The pages work without it.
"use strict";

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyFrom);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  } catch {
    // No clipboard (plain http on another host): select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = "Selected";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 2000);
});

// The first page of the log re-reads itself and swaps in the new rows; a later page stays still.
const toggle = document.getElementById("auto-refresh");
const log = document.querySelector("#log tbody");
if (toggle && log) {
  const seconds = Math.max(1, parseInt(toggle.dataset.seconds || "5", 10));
  let busy = false;
  setInterval(async () => {
    if (!toggle.checked || busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (response.redirected || !response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const rows = page.querySelector("#log tbody");
      if (rows) log.replaceChildren(...rows.childNodes);
      const stamp = document.getElementById("refreshed");
      if (stamp) stamp.textContent = new Date().toLocaleTimeString();
    } catch {
      // A failed refresh leaves the rows as they were; the next tick tries again.
    } finally {
      busy = false;
    }
  }, seconds * 1000);
}
