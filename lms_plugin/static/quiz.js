// Quiz pages: the time left (the server holds the deadline and refuses late answers; this
// only shows it), and saving an answer as soon as it changes. Without JS the page still
// saves on every button and shows the time left when it loads.
(function () {
  "use strict";
  var timer = document.getElementById("quiz-timer");
  var form = document.getElementById("quiz-form");
  if (timer) {
    var alertBox = document.getElementById("quiz-timer-alert");
    var end = Date.now() + parseInt(timer.getAttribute("data-seconds-left"), 10) * 1000;
    var warned = {};
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      // The words come from the page, in its language (templates/quiz/_timer.html).
      timer.textContent = (timer.getAttribute("data-format") || "{m} min {s} s")
        .replace("{m}", m).replace("{s}", (s < 10 ? "0" : "") + s);
      [300, 60].forEach(function (mark) {
        if (left <= mark && left > 0 && !warned[mark]) {
          warned[mark] = true;
          if (alertBox) alertBox.textContent = timer.getAttribute("data-left-" + (mark / 60));
        }
      });
      if (left === 0) {
        clearInterval(handle);
        if (alertBox) alertBox.textContent = timer.getAttribute("data-time-up");
        if (form) form.submit(); else window.location.reload();
      }
    };
    var handle = setInterval(tick, 1000);
    tick();
  }
  if (form && window.fetch && window.FormData) {
    form.addEventListener("change", function () {
      var data = new FormData(form);
      data.set("action", "save");
      fetch(form.getAttribute("data-autosave"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Autosave": "1" }
      }).catch(function () { /* the buttons still save */ });
    });
  }
})();
