// Poll an alert's progress and update the bar and counts; reload once when it stops being live.
(function () {
  "use strict";
  var section = document.querySelector("[data-progress-url]");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  var bar = section.querySelector("progress");
  var LIVE = ["scheduled", "sending", "paused"];

  function update(data) {
    Object.keys(data).forEach(function (key) {
      var cell = section.querySelector('[data-count="' + key + '"]');
      if (cell) { cell.textContent = String(data[key]); }
    });
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    var badge = document.querySelector("[data-alert-status]");
    if (badge && badge.textContent !== data.status) {
      // The buttons depend on the status: show the page the server renders for the new one.
      window.location.reload();
      return false;
    }
    return LIVE.indexOf(data.status) !== -1;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && !update(data)) { return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
