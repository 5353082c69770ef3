// Show <time data-local datetime="..."> in this browser's own time zone, in the tool's one
// date format ("5 March 2026, 14:05 GMT"); the server's text (in UTC) stays without JS.
(function () {
  "use strict";
  var items = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < items.length; i++) {
    var when = new Date(items[i].getAttribute("datetime"));
    if (isNaN(when.getTime())) continue;
    try {
      var date = new Intl.DateTimeFormat("en-GB", {
        day: "numeric", month: "long", year: "numeric"
      }).format(when);
      var time = new Intl.DateTimeFormat("en-GB", {
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      }).format(when);
      items[i].textContent = date + ", " + time;
    } catch (e) { /* keep the UTC text */ }
  }
})();
