// Show <time data-local datetime="..."> in this browser's own time zone; the server's
// text (in UTC) stays as it is without JS.
(function () {
  "use strict";
  var items = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < items.length; i++) {
    var when = new Date(items[i].getAttribute("datetime"));
    if (isNaN(when.getTime())) continue;
    try {
      items[i].textContent = new Intl.DateTimeFormat(undefined, {
        weekday: "short", day: "numeric", month: "short",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      }).format(when);
    } catch (e) { /* keep the UTC text */ }
  }
})();
