// Comms pages: live mail preview, live audience count and sample, campaign progress, confirm buttons.
// Everything here is an enhancement: each page works with its buttons alone (Preview, Count, Refresh).
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function field(root, name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function post(url, form) {
    return fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin",
                       headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); });
  }

  // --- composer: the preview follows what is typed -------------------------------------------------------------
  function composer(form) {
    var preview = document.getElementById("preview");
    if (!preview) { return; }
    var refresh = debounce(function () {
      // The HTML part: the form itself is posted into the preview frame (a document with its own policy).
      var action = form.getAttribute("action");
      form.setAttribute("action", form.dataset.previewUrl);
      form.setAttribute("target", "mail-preview");
      form.submit();
      form.setAttribute("action", action);
      form.removeAttribute("target");
      post(form.dataset.previewJson, form).then(function (data) {
        var error = field(preview, "preview-error");
        error.hidden = !data.error;
        error.textContent = data.error || "";
        if (!data.error) {
          field(preview, "preview-subject").textContent = data.subject;
          field(preview, "preview-text").textContent = data.text;
        }
      }).catch(function () {});
    }, 500);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    refresh();
  }

  // --- audience builder: count and sample while it is built ----------------------------------------------------
  function builder(form) {
    var aside = document.querySelector(".estimate");
    var refresh = debounce(function () {
      post(form.dataset.estimateUrl, form).then(function (data) {
        var error = field(aside, "estimate-error");
        error.hidden = !data.error;
        error.textContent = data.error || "";
        if (data.error) { return; }
        field(aside, "reachable").textContent = data.reachable;
        field(aside, "matching").textContent = data.matching;
        var list = field(aside, "sample");
        list.textContent = "";
        data.sample.forEach(function (person) {
          var item = document.createElement("li");
          item.textContent = person.name + " ";
          var small = document.createElement("small");
          small.className = "muted";
          small.textContent = person.email + (person.department ? " · " + person.department : "");
          item.appendChild(small);
          list.appendChild(item);
        });
        if (!data.sample.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = "nobody";
          list.appendChild(none);
        }
      }).catch(function () {});
    }, 300);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    refresh();
  }

  // --- campaign progress, refreshed while it sends -------------------------------------------------------------
  function progress(panel) {
    function tick() {
      fetch(panel.dataset.progressUrl, {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (data) {
          ["recipients", "sent", "failed", "skipped", "remaining", "per_second"].forEach(function (name) {
            var node = field(panel, name);
            if (node) { node.textContent = data[name]; }
          });
          var bar = field(panel, "percent-bar");
          bar.value = data.percent;
          bar.textContent = data.percent + "%";
          if (data.status !== panel.dataset.status) {
            window.location.reload();
            return;
          }
          if (data.status === "running" || data.remaining > 0) { setTimeout(tick, 2000); }
        }).catch(function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("composer");
    if (form) { composer(form); }
    var audience = document.getElementById("audience-builder");
    if (audience) { builder(audience); }
    var panel = document.getElementById("progress");
    if (panel) { progress(panel); }
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
      });
    });
  });
}());
