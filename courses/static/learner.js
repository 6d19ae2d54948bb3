// Lesson completion checks a course may ask for: the learner scrolled to the lesson's end (reported in the
// form's "scrolled" field) and spent a minimum time on it. The server checks both again; this only explains.
(function () {
  "use strict";
  var form = document.querySelector("form.complete-form[data-min-seconds]");
  if (!form) { return; }
  var needScroll = form.getAttribute("data-require-scroll") === "1";
  var seconds = parseInt(form.getAttribute("data-min-seconds"), 10) || 0;
  var scrolled = form.querySelector("input[name=scrolled]");
  var button = form.querySelector("button[type=submit]");
  var end = document.getElementById("lesson-end");
  var started = Date.now();
  var seen = !needScroll;

  function update() {
    var waited = (Date.now() - started) / 1000 >= seconds;
    button.disabled = !(seen && waited);
    button.setAttribute("aria-disabled", button.disabled ? "true" : "false");
    if (!button.disabled) {
      var hint = document.getElementById("complete-hint");
      if (hint) { hint.textContent = "You can mark this lesson complete now."; }
    }
  }

  if (needScroll && end && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { seen = true; scrolled.value = "1"; update(); }
      });
    }).observe(end);
  } else if (needScroll) {
    seen = true;
    scrolled.value = "1";
  }
  if (seconds) { window.setInterval(update, 1000); }
  update();
}());
