/* The console header's unread badge (notify's in-app inbox). The page works without this file:
   the header link leads to the inbox, and notify's own pages draw the count on the server. This
   only fills or refreshes the count, on any page whose header has
     <a data-unread-url="/console/thong-bao/chua-doc.json" …>
       <span class="inbox-badge" hidden><span class="inbox-badge__count"></span>
         <span class="visually-hidden"> unread</span></span></a>
   An external file, as the gateway's Content-Security-Policy (script-src 'self') requires. */
(function () {
  "use strict";
  var REFRESH_MS = 60000;

  function show(link, count) {
    var badge = link.querySelector(".inbox-badge");
    var number = link.querySelector(".inbox-badge__count");
    if (!badge || !number) { return; }
    number.textContent = String(count);
    badge.hidden = count === 0;
  }

  function refresh() {
    if (!window.fetch || document.visibilityState === "hidden") { return; }
    var links = document.querySelectorAll("a[data-unread-url]");
    Array.prototype.forEach.call(links, function (link) {
      fetch(link.getAttribute("data-unread-url"), {
        credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store"
      }).then(function (answer) {
        return answer.ok ? answer.json() : null;  // signed out or expired: leave the badge be
      }).then(function (body) {
        if (body && typeof body.unread === "number" && body.unread >= 0) { show(link, body.unread); }
      }).catch(function () { /* offline: the link still works */ });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
  window.setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", refresh);
}());
