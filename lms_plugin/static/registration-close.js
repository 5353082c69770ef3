// Tell the LMS that dynamic registration is complete (LTI Dynamic Registration 1.0).
(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
