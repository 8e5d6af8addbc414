/* Live pages (notifications/live.py). Every signed-in page polls <body data-live-url> every data-live-poll ms with
   the last ETag it got (304 while nothing changed). It keeps the top bar's alert badge current, shows the 特提
   banner and beeps once per new 特提 alert (WebAudio; mute remembered per person in localStorage, shared by the
   tabs), and when a region marked data-live="scope …" was rendered at other versions than the poll reports,
   fetches the page again and swaps that region in place. Background requests carry X-Live: 1 — they never renew the session
   (directory.middleware.SessionMiddleware), so an open page still signs out after the idle timeout. */
(function () {
  "use strict";
  var body = document.body;
  var url = body.dataset.liveUrl;
  if (!url || !window.fetch || !window.DOMParser) return;

  var interval = parseInt(body.dataset.livePoll, 10) || 3000;
  var MAX_BACKOFF = 60000;
  // Per person: on a desk PC people take turns, and one person's announced or dismissed alerts are not another's.
  var who = "." + (body.dataset.liveUser || "");
  var KEYS = { muted: "mingdian.teti.muted" + who, announced: "mingdian.teti.announced" + who,
               dismissed: "mingdian.teti.dismissed" + who };
  var etag = null;
  var versions = null;
  var failures = 0;
  var timer = null;
  var stopped = false;
  var refreshing = false;
  var baseTitle = document.title;

  function remember(key, value) {
    try { localStorage.setItem(key, String(value)); } catch (e) { /* private mode: remembered for this page only */ }
  }
  function recall(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function recallId(key) { return parseInt(recall(key), 10) || 0; }
  function muted() { return recall(KEYS.muted) === "1"; }

  // ---- the sound: three short tones made by WebAudio (no file to fetch). Browsers let a page sound only after
  // the person touched it once, so the first touch or key press anywhere unlocks it.
  var audio = null;
  function context() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) audio = new Ctx();
    return audio;
  }
  function unlock() {
    var ctx = context();
    if (ctx && ctx.state === "suspended") ctx.resume();
  }
  document.addEventListener("pointerdown", unlock, true);
  document.addEventListener("keydown", unlock, true);

  function tones(ctx) {
    var t = ctx.currentTime + 0.02;
    [0, 0.3, 0.6].forEach(function (offset, i) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = i === 1 ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, t + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.25);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.27);
    });
  }

  // done("played" | "blocked")
  function beep(done) {
    var ctx = context();
    if (!ctx) { done("blocked"); return; }
    if (ctx.state === "running") { tones(ctx); done("played"); return; }
    var settled = false;
    var finish = function () {
      if (settled) return;
      settled = true;
      if (ctx.state === "running") { tones(ctx); done("played"); } else { done("blocked"); }
    };
    ctx.resume().then(finish, finish);
    setTimeout(finish, 400); // a context the browser keeps suspended never resolves its resume()
  }

  // ---- the 特提 banner
  var banner = document.getElementById("live-alert");
  var list = document.getElementById("live-alert-list");

  function soundButtons() { return document.querySelectorAll("[data-live-mute]"); }
  function showSoundState() {
    var off = muted();
    var blocked = banner && banner.dataset.sound === "blocked" && !off;
    soundButtons().forEach(function (b) {
      b.setAttribute("aria-pressed", off ? "true" : "false");
      b.textContent = blocked ? b.dataset.labelBlocked : (off ? b.dataset.labelOff : b.dataset.labelOn);
    });
  }
  soundButtons().forEach(function (b) {
    b.addEventListener("click", function () {
      var blocked = banner && banner.dataset.sound === "blocked";
      if (muted()) {
        remember(KEYS.muted, "0");
      } else if (!blocked) {
        remember(KEYS.muted, "1");
      }
      if (!muted() && blocked) { // the click itself lets the page sound: play it so the person hears what comes
        beep(function (result) { if (banner) banner.dataset.sound = result; showSoundState(); });
      }
      if (banner && muted()) banner.dataset.sound = "muted";
      showSoundState();
    });
  });
  window.addEventListener("storage", function (e) { if (e.key === KEYS.muted) showSoundState(); });
  showSoundState();

  function showUrgent(items) {
    if (!banner) return;
    var newest = items.reduce(function (m, a) { return Math.max(m, a.id); }, 0);
    var visible = items.length > 0 && newest > recallId(KEYS.dismissed);
    list.textContent = "";
    items.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url;
      link.textContent = a.text;
      var when = document.createElement("span");
      when.className = "live-alert-when";
      when.textContent = a.at;
      li.appendChild(link);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(when);
      list.appendChild(li);
    });
    banner.hidden = !visible;
    banner.dataset.newest = String(newest);
    document.title = visible ? "【特提】" + baseTitle : baseTitle;
    if (newest > recallId(KEYS.announced)) {
      remember(KEYS.announced, newest); // another open tab sees it announced and stays quiet
      if (muted()) {
        banner.dataset.sound = "muted";
      } else {
        beep(function (result) {
          banner.dataset.sound = result;
          banner.dataset.beeps = String((parseInt(banner.dataset.beeps, 10) || 0) + (result === "played" ? 1 : 0));
          showSoundState();
        });
      }
    }
    showSoundState();
  }
  var dismiss = document.getElementById("live-alert-dismiss");
  if (dismiss) {
    dismiss.addEventListener("click", function () {
      remember(KEYS.dismissed, banner.dataset.newest || "0");
      banner.hidden = true;
      document.title = baseTitle;
    });
  }

  // ---- the badge
  function showUnread(n) {
    var badge = document.getElementById("alerts-badge");
    if (!badge) return;
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }

  // ---- live regions
  function regionVersion(region) {
    return region.dataset.live.split(/\s+/).map(function (scope) { return versions[scope] || ""; }).join(" ");
  }
  function busy(region) {
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }
  function sync() {
    if (!versions || refreshing) return;
    var stale = Array.prototype.filter.call(document.querySelectorAll("[data-live]"), function (region) {
      return region.id && region.dataset.liveVersion !== regionVersion(region) && !busy(region);
    });
    if (!stale.length) return;
    refreshing = true;
    fetch(location.href, { headers: { "X-Live": "1" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        stale.forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement) {
            region.replaceWith(document.importNode(replacement, true));
          } else {
            region.dataset.liveVersion = regionVersion(region); // gone from the page: stop asking for it
          }
        });
        body.dataset.liveRefreshed = String((parseInt(body.dataset.liveRefreshed, 10) || 0) + 1);
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { refreshing = false; });
  }

  // ---- the poll
  function stop(message) {
    stopped = true;
    clearTimeout(timer);
    var status = document.getElementById("live-status");
    if (!status || !message) return;
    status.textContent = message + " ";
    if (body.dataset.liveLogin) {
      var link = document.createElement("a");
      link.href = body.dataset.liveLogin + "?next=" + encodeURIComponent(location.pathname + location.search);
      link.textContent = "重新登录";
      status.appendChild(link);
    }
    status.hidden = false;
  }
  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(poll, ms);
  }
  function apply(data) {
    versions = data.versions || {};
    showUnread(data.alerts.unread);
    showUrgent(data.alerts.urgent);
  }
  function poll() {
    var headers = { "X-Live": "1", "Accept": "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 304) return null;
        var toLogin = r.redirected && new URL(r.url).pathname === body.dataset.liveLogin;
        if (r.status === 401 || toLogin) {
          stop("登录已过期，本页面不再自动更新。");
          return null;
        }
        if (r.redirected || r.status === 403) { // e.g. the second factor is still to be entered: nothing to say
          stop("");
          return null;
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (data) {
        if (data) apply(data);
        failures = 0;
        sync();
        schedule(interval);
      })
      .catch(function () {
        failures += 1; // the server restarting, the network gone: ask less often, up to once a minute
        schedule(Math.min(interval * Math.pow(2, failures), MAX_BACKOFF));
      });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !stopped) schedule(0); // background tabs' timers are slowed down by the browser
  });
  schedule(0);
}());
