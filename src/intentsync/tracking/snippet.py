"""The browser snippet served at GET /track.js, kept here so the package ships it."""

# ES5 so any browser runs it. The endpoint is this script's own URL with track.js replaced
# by track, so a server mounted under a path prefix works too. sendBeacon posts a string as
# text/plain, a CORS-safelisted type, so no preflight is needed; fetch keepalive does the same.
SNIPPET_JS = r"""/* intentsync website tracker */
(function (w, d) {
  "use strict";
  if (w.__intentsync) return;
  var script = d.currentScript || d.querySelector("script[data-write-key]");
  var key = script && script.getAttribute("data-write-key");
  if (!key) return;
  w.__intentsync = true;
  var src = script.src.split(/[?#]/)[0];
  var endpoint = /\/track\.js$/.test(src) ? src.slice(0, -3) : new URL(src).origin + "/track";
  var VID = "intentsync_vid";

  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16), i, h = "";
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  function visitorId() {
    var id;
    try {
      id = w.localStorage.getItem(VID);
      if (!id) { id = uuid(); w.localStorage.setItem(VID, id); }
      return id;
    } catch (e) { /* storage blocked: fall back to a first-party cookie */ }
    var m = d.cookie.match(new RegExp("(?:^|; )" + VID + "=([^;]+)"));
    if (m) return m[1];
    id = uuid();
    d.cookie = VID + "=" + id + "; path=/; max-age=31536000; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }

  var visitor = visitorId();
  var last = null;

  function send(url) {
    var data = {writeKey: key, url: url, visitorId: visitor, pageViewId: uuid(),
      occurredAt: new Date().toISOString()};
    var body = JSON.stringify(data);
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) return;
    } catch (e) { /* fall through to fetch */ }
    try {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: {"Content-Type": "text/plain"}});
    } catch (e) { /* a tracker never breaks the page */ }
  }

  function page() { /* the fragment is dropped: it can hold tokens, never a new page */
    var url = location.href.split("#")[0];
    if (url === last) return;
    last = url;
    send(url);
  }

  var push = history.pushState;
  if (push) {
    history.pushState = function () {
      var result = push.apply(this, arguments);
      page();
      return result;
    };
  }
  w.addEventListener("popstate", page);
  page();
})(window, document);
"""


def html_snippet(base_url: str, write_key: str) -> str:
    """The tag a site adds to every page; base_url is where this server is reachable."""
    return (
        f'<script async src="{base_url.rstrip("/")}/track.js" '
        f'data-write-key="{write_key}"></script>'
    )
