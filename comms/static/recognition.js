// The kudos form: suggestions for the person field as a name or email is typed (a <datalist> filled from the
// access-checked people search). An enhancement only: typing a full name or an email works without it.
(function () {
  "use strict";

  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-search-url");
    if (!list || !url) { return; }
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var term = input.value.trim();
        if (term.length < 2 || term === asked) { return; }
        asked = term;
        fetch(url + "?q=" + encodeURIComponent(term), {credentials: "same-origin",
                                                       headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : {people: []}; })
          .then(function (data) {
            if (term !== asked) { return; }  // an older answer, overtaken by what was typed since
            list.textContent = "";
            data.people.forEach(function (person) {
              var option = document.createElement("option");
              option.value = person.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* no suggestions: the field still takes a full name or an email */ });
      }, 200);
    });
    if (input.value !== input.defaultValue) {  // typed before this script ran (a slow page): suggest for it now
      input.dispatchEvent(new Event("input"));
    }
  }

  function start() {
    document.querySelectorAll("input[data-search-url][list]").forEach(suggest);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
