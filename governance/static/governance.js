// A "Copy" button after every .copyable block (the curl example, a new token). No inline script: CSP holds.
document.addEventListener("DOMContentLoaded", () => {
  for (const block of document.querySelectorAll(".copyable")) {
    if (!navigator.clipboard) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary copy-button";
    button.textContent = "Copy";
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(block.textContent.trim());
        button.textContent = "Copied";
      } catch (error) {
        button.textContent = "Select the text and copy it";
      }
    });
    block.insertAdjacentElement("afterend", button);
  }
});
