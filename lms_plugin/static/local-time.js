// Show <time data-local datetime="..."> in this browser's own time zone, in the page's
// language (<html lang>): English keeps the tool's one format ("5 March 2026, 14:05 GMT"),
// other languages their own ("5 de marzo de 2026, 14:05 CET"). The server's text (in the
// zone the LMS sent, else UTC) stays without JS.
(function () {
  "use strict";
  var lang = document.documentElement.getAttribute("lang") || "en";
  var locale = lang === "en" ? "en-GB" : lang;
  var items = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < items.length; i++) {
    var when = new Date(items[i].getAttribute("datetime"));
    if (isNaN(when.getTime())) continue;
    try {
      var date = new Intl.DateTimeFormat(locale, {
        day: "numeric", month: "long", year: "numeric"
      }).format(when);
      var time = new Intl.DateTimeFormat(locale, {
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      }).format(when);
      items[i].textContent = date + ", " + time;
    } catch (e) { /* keep the server's text */ }
  }
})();
