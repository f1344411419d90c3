// Dashboard: keeps what the user opened across the 10 s refreshes, and stops polling while
// the tab is hidden (a background tab costs the server nothing; it refreshes when shown).
(function () {
  "use strict";
  var opened = {};
  var focused = null; // id of the focused control inside the refreshed part, put back after

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.tagName === "DETAILS" && details.id) opened[details.id] = details.open;
  }, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "dashboard-live" && document.hidden) event.preventDefault();
  });

  // the session ended while the page was open: the poll was sent to the login page; show it
  // as a page of its own instead of inside the dashboard
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    focused = active && active.id && event.target.contains(active) ? active.id : null;
    var xhr = event.detail.xhr;
    if (event.target.id === "dashboard-live" && xhr && /\/login\//.test(xhr.responseURL || "")) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "dashboard-live") return;
    Object.keys(opened).forEach(function (id) {
      var details = document.getElementById(id);
      if (details) details.open = opened[id];
    });
    var again = focused && document.getElementById(focused);
    if (again) again.focus({ preventScroll: true });
  });

  document.addEventListener("visibilitychange", function () {
    var live = document.getElementById("dashboard-live");
    if (!document.hidden && live && window.htmx) window.htmx.trigger(live, "refresh");
  });
})();
