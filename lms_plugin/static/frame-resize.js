// Ask the LMS to size its iframe to this page, so a learner scrolls the LMS page and never
// a small box inside it: the `lti.frameResize` postMessage.
//
// - Canvas honours it (ui/shared/lti/jquery/subjects/lti.frameResize.ts in
//   instructure/canvas-lms): the data may be an object or its JSON string; `height` should
//   be a number of pixels (a string falls back to Canvas's minimum of 450). Canvas finds
//   our frame by the message's source window, so the optional
//   $com.instructure.PostMessageToken is not needed. We send the object form.
// - Moodle core does not: mod/lti/view.php sizes the frame to the browser window itself
//   (a YUI script) and listens for no message, so there the message is simply ignored and
//   the page scrolls inside the frame as before. (The third-party ltisource_message_handler
//   plugin listens, but for a bare number, not this message.)
//
// Sent only when framed, once the page is laid out and whenever its height changes
// (ResizeObserver, at most once per animation frame), and never twice with the same
// height. The height measured is the document's own (the <html> box, which is as tall as
// its content, not as the frame), so resizing the frame does not by itself change it and
// cannot start a loop; the frame can shrink as well as grow. The message carries nothing
// but a height, hence the "*" target origin (the LMS origin is not known to the page).
(function () {
  "use strict";
  if (window.parent === window) return;
  var root = document.documentElement;
  var lastSent = 0;
  var scheduled = false;

  function height() {
    var own = Math.ceil(root.getBoundingClientRect().height);
    // A horizontal scrollbar, if any, takes height from the frame too.
    var scrollbar = window.innerHeight - root.clientHeight;
    return own + (scrollbar > 0 ? scrollbar : 0);
  }

  function send() {
    if (!scheduled) return;
    scheduled = false;
    var h = height();
    if (h <= 0 || h === lastSent) return;
    lastSent = h;
    window.parent.postMessage({ subject: "lti.frameResize", height: h }, "*");
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(send);
    // Browsers pause animation frames in a frame that is hidden or scrolled out of view;
    // the message must still go.
    window.setTimeout(send, 250);
  }

  if (typeof window.ResizeObserver === "function") {
    var observer = new window.ResizeObserver(schedule);
    observer.observe(root);
    if (document.body) observer.observe(document.body);
  } else {
    window.addEventListener("resize", schedule);
  }
  window.addEventListener("load", schedule);
  schedule();
})();
