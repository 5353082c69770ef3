// Dates of logged hours are the person's own calendar days: tell the server which time
// zone this browser is in (an IANA name such as "Pacific/Auckland"), in every form's
// hidden `timezone` field, and stop the date picker after today. The server checks the
// name against its zone database and, without one, never refuses anyone's today.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  var now = new Date();
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  var fields = document.querySelectorAll("input[data-timezone]");
  for (var i = 0; i < fields.length; i++) {
    fields[i].value = zone;
    var dates = fields[i].form ? fields[i].form.querySelectorAll("input[type=date]") : [];
    for (var j = 0; j < dates.length; j++) dates[j].max = today;
  }
})();
