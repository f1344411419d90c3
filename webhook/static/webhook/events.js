// Event tail: the live poll (htmx every 5 s) can be paused, and rests while the tab is
// hidden; the poll answers the newest id in X-Events-Since, kept for the next poll.
(function () {
  "use strict";

  var paused = false;

  function live() { return document.getElementById("events-live"); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target !== live()) return;
    if (paused || document.hidden) event.preventDefault();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target !== live() || !event.detail.successful) return;
    var since = event.detail.xhr.getResponseHeader("X-Events-Since");
    var input = document.getElementById("live-since");
    if (since && input) input.value = since;
  });

  // The first event to arrive replaces the "no event yet" line.
  document.addEventListener("htmx:afterSettle", function () {
    var rows = document.getElementById("event-rows");
    if (rows && rows.querySelector(".event-row")) {
      var empty = rows.querySelector(".empty-row");
      if (empty) empty.remove();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#live-toggle");
    if (!button) return;
    paused = !paused;
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    button.textContent = button.getAttribute(paused ? "data-resume" : "data-pause");
    var state = document.getElementById("live-state");
    if (state) {
      state.classList.toggle("paused", paused);
      var text = state.querySelector(".live-text");
      if (text) text.textContent = text.getAttribute(paused ? "data-paused" : "data-live");
    }
  });
})();
