// Conversations: the live poll tells the server which bubbles it shows (the newest 60, as
// "<pk>.<signature>"), so the answer re-sends those whose ticks, reactions, edits or media
// changed. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  var TRACKED = 60;
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.classList || !elt.classList.contains("live")) return;
    var inputs = document.querySelectorAll(".conv-log article input[name='s']");
    var shown = [];
    for (var i = Math.max(0, inputs.length - TRACKED); i < inputs.length; i++) {
      shown.push(inputs[i].value);
    }
    event.detail.parameters["s"] = shown;
  });
})();
