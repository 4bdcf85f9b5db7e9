// Loads the configured analytics script only after the visitor allows it.
// The choice is kept in localStorage (not a cookie); a browser that asks
// not to be tracked (Do Not Track, Global Privacy Control) is never asked.
(function () {
  "use strict";
  var box = document.getElementById("stats-consent");
  if (!box) { return; }
  if (navigator.globalPrivacyControl || navigator.doNotTrack === "1") { return; }
  var key = "newsletter-stats-consent";
  var load = function () {
    var s = document.createElement("script");
    s.src = box.getAttribute("data-src");
    s.async = true;
    document.head.appendChild(s);
  };
  var choice = null;
  try { choice = window.localStorage.getItem(key); } catch (e) { return; }
  if (choice === "yes") { load(); return; }
  if (choice === "no") { return; }
  box.hidden = false;
  box.addEventListener("click", function (ev) {
    var c = ev.target.getAttribute("data-choice");
    if (!c) { return; }
    try { window.localStorage.setItem(key, c); } catch (e) { /* private mode */ }
    box.hidden = true;
    if (c === "yes") { load(); }
  });
})();
