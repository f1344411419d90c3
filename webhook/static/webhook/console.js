// MultiChat Webhook console: small behaviours without inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // <button data-copy="text"> or data-copy-from="#id": copies, then says so for 2 s.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy], [data-copy-from]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (text === null) {
      var source = document.querySelector(button.getAttribute("data-copy-from"));
      text = source ? (source.value || source.textContent || "").trim() : "";
    }
    var label = button.textContent;
    var done = function (ok) {
      button.textContent = ok ? button.getAttribute("data-copied") || "✓" : label;
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "sr-only";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      done(ok);
    }
  });

  // <select data-autosubmit> submits its form when changed (language, filters).
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) {
      var form = event.target.form;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });
})();
