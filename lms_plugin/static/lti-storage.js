// LTI platform storage (1EdTech "LTI Client Side postMessages"): keep the OIDC state and
// nonce in the platform's frame so a browser that blocks third-party cookies can launch.
(function () {
  "use strict";
  var el = document.getElementById("lti-storage");
  if (!el) return;
  var d = el.dataset;
  var frame = d.target === "_parent" ? window.parent : (window.parent.frames[d.target] || window.parent);
  var pending = {};

  window.addEventListener("message", function (event) {
    if (event.origin !== d.origin || !event.data || !pending[event.data.message_id]) return;
    var done = pending[event.data.message_id];
    delete pending[event.data.message_id];
    done(event.data.error ? null : event.data);
  });

  function ask(subject, key, value) {
    return new Promise(function (resolve) {
      var id = subject + "-" + key + "-" + Math.random().toString(36).slice(2);
      var message = { subject: subject, message_id: id, key: key };
      if (value !== undefined) message.value = value;
      // The platform's storage frame (Canvas: a hidden frame on its sso origin) may still
      // be loading when this page runs: ask again until it answers. Asking twice is safe.
      var retry = setInterval(function () { frame.postMessage(message, d.origin); }, 300);
      pending[id] = function (answer) { clearInterval(retry); resolve(answer); };
      frame.postMessage(message, d.origin);
      setTimeout(function () {
        if (pending[id]) { delete pending[id]; clearInterval(retry); resolve(null); }
      }, 3000);
    });
  }

  if (d.mode === "login") {
    Promise.all([
      ask("lti.put_data", "state_" + d.state, d.state),
      ask("lti.put_data", "nonce_" + d.nonce, d.nonce)
    ]).then(function () { window.location.href = d.next; });
  } else {
    Promise.all([
      ask("lti.get_data", "state_" + d.state),
      ask("lti.get_data", "nonce_" + d.nonce)
    ]).then(function (answers) {
      if (answers[0] && answers[0].value === d.state && answers[1] && answers[1].value === d.nonce) {
        document.getElementById("lti-storage-form").submit();
      } else {
        document.getElementById("lti-storage-error").hidden = false;
      }
    });
  }
})();
