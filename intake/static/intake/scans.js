// 待登记扫描件: while a scan is still being read, look again every 5 s — unless the clerk is typing a reason.
(function () {
  "use strict";
  var typing = false;
  document.addEventListener("input", function () { typing = true; });
  setTimeout(function check() {
    if (typing || document.activeElement && document.activeElement.name === "reason") {
      setTimeout(check, 5000);
      return;
    }
    location.reload();
  }, 5000);
})();
