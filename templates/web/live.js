// Live updates: the event stream (GET /v1/notifications/stream), and polling of the list
// whenever the stream is down, closed or refused, with the stream reconnected with
// backoff. A change to a schedule's run loads the schedules again (their run history).
// Then the toasts (a burst is one toast: "3 informes listos", naming each export and its
// range) and the bell with its feed.
"use strict";
const Live = (() => {
  const POLL_MS = 3000;
  const WATCH_MS = 2000;
  const MAX_BACKOFF_MS = 30000;
  const TOAST_MS = 15000;
  const SHOWN_IN_GROUP = 5;
  let source = null, open = false, retries = 0, reconnecting = null, polling = null, feedLoaded = false;
  const groups = {}; // "succeeded" | "failed" -> { items, box, timer }

  // ---- The stream and its fallback ------------------------------------------------
  function connect() {
    reconnecting = null;
    const s = new EventSource("/v1/notifications/stream");
    source = s;
    s.addEventListener("open", () => {
      if (source !== s) return;
      open = true;
      retries = 0;
      status();
      stopPolling();
      poll(); // what changed while it was down
    });
    s.addEventListener("error", () => {
      if (source !== s) return;
      open = false;
      status();
      startPolling();
      // CONNECTING: the browser retries by itself; CLOSED (refused, or not a stream): we do.
      if (s.readyState === 2) reconnect();
    });
    s.addEventListener("export", (ev) => { onEvent(ev).catch(() => {}); });
  }

  function reconnect() {
    if (reconnecting) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** retries) * (0.75 + Math.random() / 2);
    retries += 1;
    reconnecting = setTimeout(connect, delay);
  }

  // A stream closed without an error event (closed by code, dropped silently) is noticed
  // here.
  function watch() {
    if (source && source.readyState === 2 && !reconnecting) {
      open = false;
      status();
      startPolling();
      reconnect();
    }
  }

  function startPolling() { if (!polling) polling = setInterval(() => poll().catch(() => {}), POLL_MS); }
  function stopPolling() { clearInterval(polling); polling = null; }

  async function poll() {
    for (const e of await Exports.refresh()) apply(e);
  }

  function status() { $("live").textContent = t(open ? "live" : "offline"); }

  async function onEvent(ev) {
    const data = JSON.parse(ev.data);
    const known = App.exports.get(data.export_id);
    if (known && (data.status === "queued" || data.status === "running")) {
      const e = Object.assign({}, known, { status: data.status, progress: data.progress });
      scheduleRun(e, Exports.upsert(e));
      return;
    }
    apply(await api("GET", "/v1/exports/" + data.export_id));
  }

  // A run of a schedule (made by one, or listed in one's history) new or in another state
  // since last seen: the schedules again, so the run's state shows in its history.
  function scheduleRun(e, was) {
    if (was !== e.status && (e.schedule_id || Schedules.hasRun(e.id))) Schedules.refreshSoon();
  }

  // An export as it is now: its row, its schedule's history, and a toast when it finished
  // since last seen.
  function apply(e) {
    const was = Exports.upsert(e);
    scheduleRun(e, was);
    if (!was || was === e.status) return;
    if (e.status === "succeeded" || e.status === "failed") {
      announce(e);
      loadFeed().catch(() => {});
    }
  }

  // ---- Toasts ---------------------------------------------------------------------
  // The range never breaks across lines (no-break spaces, joiners around the dash).
  const what = (e) => kindName(e.kind) + ", " + fmtRange(e.from, e.to).replace(/ /g, "\u00a0").replace(/[–-]/g, "\u2060$&\u2060");
  const download = (e) => el("a", { href: "/v1/exports/" + e.id + "/download" }, t("download"));

  function toastBox(cls) {
    const box = el("div", { class: "toast " + cls });
    box.append(el("button", { type: "button", class: "close", "aria-label": t("close"), onclick: () => box.remove() }, "×"));
    $("toasts").append(box);
    return box;
  }

  function announce(e) {
    let g = groups[e.status];
    if (!g || !g.box.isConnected) g = groups[e.status] = { items: [], box: toastBox("group " + e.status), timer: null };
    if (!g.items.some((x) => x.id === e.id)) g.items.push(e);
    draw(e.status);
    clearTimeout(g.timer);
    g.timer = setTimeout(() => g.box.remove(), TOAST_MS);
  }

  function draw(kind) {
    const g = groups[kind];
    if (!g || !g.box.isConnected) return;
    const ok = kind === "succeeded", n = g.items.length;
    g.box.replaceChildren(g.box.firstChild);
    g.box.firstChild.setAttribute("aria-label", t("close"));
    if (n === 1) {
      const e = g.items[0];
      g.box.append(el("span", { class: "head" }, t(ok ? "toast_ready" : "toast_failed", { what: what(e) })), " ", ok ? download(e) : null);
      return;
    }
    g.box.append(el("strong", { class: "head" }, t(ok ? "toast_ready_many" : "toast_failed_many", { n })));
    const list = el("ul", {});
    for (const e of g.items.slice(-SHOWN_IN_GROUP).reverse()) list.append(el("li", { "data-export": e.id }, what(e), " ", ok ? download(e) : null));
    if (n > SHOWN_IN_GROUP) list.append(el("li", { class: "more" }, t("and_more", { n: n - SHOWN_IN_GROUP })));
    g.box.append(list);
  }

  // A short message of the page (a cancel, a delete).
  function note(text) {
    const box = toastBox("info");
    box.append(text);
    setTimeout(() => box.remove(), 6000);
    return box;
  }

  // A message with an undo button; the caller removes it when the time to undo is over.
  function undoToast(text, onUndo) {
    const box = toastBox("undo");
    box.append(el("span", {}, text), " ", el("button", { type: "button", class: "undo", onclick: () => { box.remove(); onUndo(); } }, t("undo")));
    return box;
  }

  // ---- The bell and the feed ------------------------------------------------------
  // Loads may overlap (a burst): only the answer to the latest is drawn.
  let feedAsked = 0;
  async function loadFeed() {
    const n = ++feedAsked;
    const feed = await api("GET", "/v1/notifications?limit=30");
    if (n !== feedAsked) return;
    feedLoaded = feed;
    drawFeed();
  }

  function drawFeed() {
    const feed = feedLoaded;
    if (!feed) return;
    const badge = $("unread");
    badge.textContent = String(feed.unread);
    badge.classList.toggle("zero", feed.unread === 0);
    $("bell").setAttribute("aria-label", t("notifications") + ", " + t("unread", { n: feed.unread }));
    const list = $("feed-items");
    list.textContent = "";
    if (!feed.items.length) list.append(el("li", {}, t("no_notifications")));
    for (const n of feed.items) {
      const words = n.export ? what(n.export) : "#" + n.export_id;
      const li = el("li", { class: n.read ? "" : "unread" }, t(n.event === "succeeded" ? "toast_ready" : "toast_failed", { what: words }), " ", el("small", {}, fmtInstant(n.created_at)));
      if (n.link) li.append(" ", el("a", { href: n.link }, t("download")));
      list.append(li);
    }
  }

  function render() {
    status();
    drawFeed();
    draw("succeeded");
    draw("failed");
  }

  async function start() {
    $("bell").addEventListener("click", () => {
      const feed = $("feed"), show = feed.hidden;
      feed.hidden = !show;
      $("bell").setAttribute("aria-expanded", String(show));
      if (show) loadFeed();
    });
    $("mark-read").addEventListener("click", async () => { await api("POST", "/v1/notifications/read"); loadFeed(); });
    await loadFeed();
    connect();
    setInterval(watch, WATCH_MS);
  }

  return { start, render, note, undoToast, loadFeed, stream: () => source, state: () => ({ open, polling: !!polling, retries }) };
})();
