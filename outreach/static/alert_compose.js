// Count characters and SMS segments of each language's text while the organizer types (GSM-7 vs UCS-2),
// the same way outreach/sms/__init__.py does on the server.
(function () {
  "use strict";
  var form = document.querySelector("form.alert-compose");
  if (!form) { return; }
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";

  function units(text) {
    var gsm = true, chars = Array.from(text);
    chars.forEach(function (c) { if (BASIC.indexOf(c) === -1 && EXTENSION.indexOf(c) === -1) { gsm = false; } });
    return {
      gsm: gsm,
      sizes: chars.map(function (c) {
        if (gsm) { return EXTENSION.indexOf(c) === -1 ? 1 : 2; }
        return c.codePointAt(0) > 0xFFFF ? 2 : 1;
      })
    };
  }

  function segments(text) {
    if (!text) { return { count: 0, gsm: true }; }
    var u = units(text), single = u.gsm ? 160 : 70, part = u.gsm ? 153 : 67;
    var total = u.sizes.reduce(function (a, b) { return a + b; }, 0);
    if (total <= single) { return { count: 1, gsm: u.gsm }; }
    var count = 1, used = 0;
    u.sizes.forEach(function (size) {
      if (used + size > part) { count += 1; used = 0; }
      used += size;
    });
    return { count: count, gsm: u.gsm };
  }

  function compose(body, locale) {
    body = body.trim();
    if (!body) { return ""; }
    var link = form.getAttribute("data-link") || "";
    if (link && body.indexOf(link) === -1) { body += " " + link; }
    if (body.toUpperCase().indexOf("STOP") === -1) {
      body += "\n" + (form.getAttribute("data-footer-" + locale) || "Reply STOP to stop");
    }
    return body;
  }

  form.querySelectorAll(".sms-live").forEach(function (out) {
    var name = out.getAttribute("data-for"), locale = name.slice(-2);
    var input = form.querySelector('[name="' + name + '"]');
    if (!input) { return; }
    function refresh() {
      var text = compose(input.value, locale), s = segments(text);
      out.textContent = text ? Array.from(text).length + " characters with link and STOP line, " +
        (s.gsm ? "GSM-7" : "UCS-2") + ", " + s.count + " segment" + (s.count === 1 ? "" : "s") : "";
    }
    input.addEventListener("input", refresh);
    refresh();
  });
})();
