// Copy buttons on the status page. Progressive enhancement: without JavaScript the buttons stay hidden and
// the text stays selectable in its read-only box.
(function () {
  "use strict";
  document.querySelectorAll("button.copy").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = button.getAttribute("data-copied"); };
      var fallback = function () {
        source.focus();
        source.select();
        if (document.execCommand && document.execCommand("copy")) { done(); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
})();
