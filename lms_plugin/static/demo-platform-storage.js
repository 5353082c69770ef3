// The platform side of LTI platform storage (postMessage), as Canvas offers it: the tool's
// frame may keep its OIDC state and nonce here when the browser blocks its cookies.
(function () {
  "use strict";
  var el = document.getElementById("lti-platform-storage");
  if (!el) return;
  var toolOrigin = el.dataset.toolOrigin;
  var store = new Map();
  window.addEventListener("message", function (event) {
    if (event.origin !== toolOrigin || !event.data || typeof event.data.subject !== "string") return;
    var m = event.data;
    var reply = { message_id: m.message_id, key: m.key };
    if (m.subject === "lti.capabilities") {
      reply.subject = "lti.capabilities.response";
      reply.supported_messages = [{ subject: "lti.put_data" }, { subject: "lti.get_data" }];
    } else if (m.subject === "lti.put_data") {
      store.set(event.origin + "|" + m.key, m.value);
      reply.subject = "lti.put_data.response";
      reply.value = m.value;
    } else if (m.subject === "lti.get_data") {
      reply.subject = "lti.get_data.response";
      var k = event.origin + "|" + m.key;
      if (store.has(k)) { reply.value = store.get(k); }
      else { reply.error = { code: "bad_request", message: "no such key" }; }
    } else {
      return;
    }
    event.source.postMessage(reply, event.origin);
  });
})();
