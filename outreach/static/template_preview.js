// Message editor: refresh the preview as the organizer types. The Preview button does the same without JS.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;

  function show(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }

  function refresh() {
    var data = new FormData();
    ["subject", "body", "sms_body", "preview_member"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field) { data.append(name, field.value); }
    });
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (result) {
      if (!result) { return; }
      var unknown = document.getElementById("preview-unknown");
      if (unknown) {
        unknown.hidden = !result.unknown.length;
        var list = unknown.querySelector("span");
        if (list) { list.textContent = result.unknown.map(function (n) { return "{" + n + "}"; }).join(" "); }
      }
      var output = document.getElementById("preview-output");
      var empty = document.getElementById("preview-empty");
      if (!result.ok) { return; }
      if (output) { output.hidden = false; }
      if (empty) { empty.hidden = true; }
      show("preview-member", result.member);
      show("preview-subject", result.subject);
      show("preview-body", result.body);
      show("preview-sms", result.sms_body);
    }).catch(function () { /* the Preview button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
}());
