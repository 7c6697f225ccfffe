// rbi dashboard: live refresh of the pipeline page (no libraries, no CDN).
(function () {
  "use strict";
  var state = document.getElementById("refresh-state");
  var body = document.getElementById("pipeline-body");
  if (!state || !body) return;
  var interval = parseInt(state.getAttribute("data-interval"), 10) || 3000;
  var busy = false;

  function stamp() { return state.getAttribute("data-stamp"); }
  function say(text, bad) {
    state.textContent = text;
    state.className = bad ? "stale" : "";
  }

  function tick() {
    if (busy || document.hidden) return;
    busy = true;
    fetch("/api/pipeline", { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (doc) {
        if (doc.stamp === stamp()) { say("live · " + new Date().toLocaleTimeString()); return null; }
        return fetch("/pipeline/fragment", { cache: "no-store" })
          .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
          .then(function (html) {
            body.innerHTML = html;
            state.setAttribute("data-stamp", doc.stamp);
            say("updated · " + new Date().toLocaleTimeString());
          });
      })
      .catch(function (e) { say("offline: " + e.message, true); })
      .then(function () { busy = false; });
  }
  setInterval(tick, interval);
  document.addEventListener("visibilitychange", tick);
})();
