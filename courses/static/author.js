/* Authoring helpers. Every page works without this script; it only adds conveniences:
   - live lesson preview: debounced POST of the Markdown to the preview endpoint, CSRF token as X-CSRFToken;
   - the question form shows the True/False choice or the option rows to match the question type;
   - leaving a page with unsaved changes in a form asks first (the browser's own "leave site?" prompt);
   - an image upload field inserts the uploaded image's Markdown into the lesson text. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { return meta.getAttribute("content"); }
    var hidden = document.querySelector('input[name="csrf_token"]');
    return hidden ? hidden.value : "";
  }

  function livePreview(form) {
    var source = document.getElementById(form.getAttribute("data-preview-source"));
    var target = document.getElementById(form.getAttribute("data-preview-target"));
    var status = document.getElementById("preview-status");
    var url = form.getAttribute("data-preview-url");
    if (!source || !target || !url || !window.fetch) { return; }
    var timer = null;
    var sent = 0;

    function show(message) { if (status) { status.textContent = message; } }

    function update() {
      var number = ++sent;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify({markdown: source.value})
      }).then(function (response) {
        if (response.status === 400) {  // the text is refused: say why (the message names the line)
          return response.json().then(function (data) { return {refused: data.error}; });
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (data) {
        if (number !== sent) { return; }  // a newer request is on its way
        if (data.refused) { show("Not previewed: " + data.refused); return; }
        var body = target.querySelector(".lesson-body");
        body.innerHTML = data.html;  // sanitised by the server (nh3); CSP blocks scripts regardless
        show(data.problems && data.problems.length ?
          "Saving will be refused: " + data.problems.join("; ") : "Preview updated.");
      }).catch(function () {
        show("The live preview is not available; use the Preview button.");
      });
    }

    source.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 400);
    });
    if (source.value !== source.defaultValue) { update(); }  // typed before this script ran (a slow page)
  }

  function questionTypes(form) {
    var select = form.querySelector('select[name="type"]');
    var groups = form.querySelectorAll("[data-for-types]");
    if (!select) { return; }
    function sync() {
      groups.forEach(function (group) {
        var types = group.getAttribute("data-for-types").split(" ");
        group.hidden = types.indexOf(select.value) === -1;
      });
    }
    select.addEventListener("change", sync);
    sync();
  }

  function warnUnsaved() {
    var dirty = null;
    document.querySelectorAll("main form[method=post]").forEach(function (form) {
      if (!form.querySelector("textarea, input[type=text], input[type=number], select")) { return; }
      form.addEventListener("input", function () { dirty = form; });
      form.addEventListener("change", function () { dirty = form; });
      form.addEventListener("submit", function () { dirty = null; });
    });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return; }
      event.preventDefault();
      event.returnValue = "";  // the browser shows its own message
    });
  }

  document.querySelectorAll("form[data-preview-url]").forEach(livePreview);
  warnUnsaved();
  document.querySelectorAll("form[data-question-form]").forEach(questionTypes);
}());
