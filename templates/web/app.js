// The admin page: asks for reports, follows them live over SSE, downloads them, and shows
// the notifications. It talks to exportd's /v1 API with the session cookie; requests that
// change state carry the session's CSRF token.
"use strict";
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const App = { me: null, kinds: [], exports: new Map() };
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
};

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Error(t("err_network"));
  }
  if (r.status === 401) { location.reload(); throw new Error(t("err_session_ended")); }
  if (r.status === 204) return null;
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((data.error && data.error.message) || r.statusText);
  return data;
}

// Titles come from the registry (GET /v1/kinds), in the page's language.
const kindName = (k) => { const d = App.kinds.find((x) => x.kind === k); return d ? d.title[LOCALE] || d.title.es : k; };
const fmtDate = (iso) => iso ? new Date(iso).toLocaleString(LOCALE, { dateStyle: "medium", timeStyle: "short" }) : "";
const days = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / 86400000) + 1;
const isoDay = (d) => d.toISOString().slice(0, 10);

// ---- Request a report -------------------------------------------------------------
function fillKinds(select) {
  select.textContent = "";
  for (const k of App.kinds) select.append(el("option", { value: k.kind }, kindName(k.kind)));
}

function filterField(o) {
  const id = "opt-" + o.name;
  const label = el("label", { for: id }, t("opt_" + o.name));
  let input;
  if (o.type === "site_ids" || o.type === "user_ids") {
    input = el("select", { id, multiple: true, "data-type": "ids" });
    for (const x of o.type === "site_ids" ? App.me.sites : App.me.users) input.append(el("option", { value: x.id }, x.name));
  } else if (o.type === "choice" || o.type === "choices") {
    input = el("select", { id, multiple: o.type === "choices", "data-type": o.type });
    if (o.type === "choice") input.append(el("option", { value: "" }, t("any")));
    for (const c of o.choices) input.append(el("option", { value: c }, o.name === "delimiter" ? c : t("ch_" + c)));
  } else if (o.type === "flag") {
    input = el("select", { id, "data-type": "flag" }, el("option", { value: "" }, t("any")), el("option", { value: "true" }, t("yes")), el("option", { value: "false" }, t("no")));
  } else {
    input = el("input", { id, type: "text", maxlength: o.max_chars || 200, "data-type": o.type });
  }
  input.dataset.option = o.name;
  const wrap = el("div", { class: "field", "data-option": o.name }, label, input);
  if (o.name === "delimiter") wrap.classList.add("csv-only");
  return wrap;
}

function showFilters() {
  const kind = App.kinds.find((k) => k.kind === $("kind").value);
  const box = $("filter-fields");
  box.textContent = "";
  for (const o of kind ? kind.options : []) box.append(filterField(o));
  toggleCsvOnly();
}

function toggleCsvOnly() {
  const csv = document.querySelector('input[name="format"]:checked').value === "csv";
  document.querySelectorAll(".csv-only").forEach((e) => { e.hidden = !csv; });
  // The fieldset shows only when the kind has a filter for this format.
  $("filters").hidden = ![...$("filter-fields").children].some((c) => !c.hidden);
}

function readOptions() {
  const options = {};
  document.querySelectorAll("#filter-fields [data-option]").forEach((input) => {
    if (input.tagName === "DIV" || input.closest(".field").hidden) return;
    const name = input.dataset.option, type = input.dataset.type;
    if (type === "ids" || type === "choices") {
      const v = [...input.selectedOptions].map((o) => (type === "ids" ? Number(o.value) : o.value));
      if (v.length) options[name] = v;
    } else if (type === "flag") {
      if (input.value) options[name] = input.value === "true";
    } else if (type === "texts") {
      const v = input.value.split(",").map((s) => s.trim()).filter(Boolean);
      if (v.length) options[name] = v;
    } else if (input.value.trim()) {
      options[name] = input.value.trim();
    }
  });
  return options;
}

function checkRange() {
  const from = $("from").value, to = $("to").value, me = App.me, err = $("range-error");
  let msg = "";
  if (from && to) {
    if (from > to) msg = t("from_after_to");
    else if (days(from, to) > me.max_range_days) msg = t("range_too_long", { days: days(from, to), max: me.max_range_days });
    else if (from < me.earliest_day) msg = t("before_earliest", { earliest: me.earliest_day });
    else if (to > me.latest_day) msg = t("after_latest", { latest: me.latest_day });
  }
  err.textContent = msg;
  err.hidden = !msg;
  $("from").setAttribute("aria-invalid", msg ? "true" : "false");
  $("to").setAttribute("aria-invalid", msg ? "true" : "false");
  $("submit-request").disabled = !!msg || !from || !to;
  return !msg;
}

const emailList = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

async function submitRequest(ev) {
  ev.preventDefault();
  if (!checkRange()) return;
  const body = {
    kind: $("kind").value, format: document.querySelector('input[name="format"]:checked').value,
    from: $("from").value, to: $("to").value, options: readOptions(),
    notify: { emails: emailList($("emails").value), in_app: $("in-app").checked },
  };
  const out = $("request-result");
  out.className = "";
  try {
    const e = await api("POST", "/v1/exports", body);
    out.textContent = t("requested", { id: e.id });
    upsertExport(e);
    location.hash = "#exports";
  } catch (e) {
    out.className = "error";
    out.textContent = e.message;
  }
}

// ---- My exports --------------------------------------------------------------------
function progressBar(e) {
  const p = e.status === "succeeded" ? 100 : e.progress || 0;
  return el("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": p, "aria-label": t("col_progress") + " " + e.id },
    el("span", { style: "width:" + p + "%" }));
}

function exportRow(e) {
  const actions = el("td", {});
  if (e.status === "succeeded") actions.append(el("a", { href: "/v1/exports/" + e.id + "/download", class: "download", "data-export": e.id }, t("download")));
  if (e.status === "queued" || e.status === "running") actions.append(el("button", { type: "button", class: "cancel", onclick: () => cancelExport(e.id) }, t("cancel")));
  const status = el("td", { class: "st-" + e.status }, t("st_" + e.status));
  if (e.error) status.append(el("div", { class: "reason" }, t("failed_reason", { reason: e.error.message })));
  const pct = e.status === "succeeded" ? 100 : e.progress || 0;
  return el("tr", { id: "export-" + e.id, "data-status": e.status },
    el("td", {}, String(e.id)), el("td", {}, kindName(e.kind) + " (" + e.format + ")"), el("td", {}, e.from + " – " + e.to),
    status, el("td", {}, progressBar(e), el("span", { class: "pct" }, " " + pct + " %")),
    el("td", {}, fmtDate(e.created_at)), el("td", {}, fmtDate(e.expires_at)), actions);
}

function upsertExport(e) {
  App.exports.set(e.id, e);
  const row = exportRow(e), old = $("export-" + e.id), body = $("export-rows");
  if (old) old.replaceWith(row); else body.prepend(row);
  $("no-exports").hidden = App.exports.size > 0;
}

async function loadExports() {
  const page = await api("GET", "/v1/exports?limit=50");
  $("export-rows").textContent = "";
  App.exports.clear();
  for (const e of page.items.reverse()) upsertExport(e);
  $("no-exports").hidden = App.exports.size > 0;
}

async function cancelExport(id) {
  try { upsertExport(await api("DELETE", "/v1/exports/" + id)); } catch (e) { toast(e.message); }
}

// ---- Live: the event stream, the bell and the toasts --------------------------------
function toast(text, link) {
  const box = el("div", { class: "toast" }, el("button", { type: "button", "aria-label": t("close"), onclick: () => box.remove() }, "×"), text);
  if (link) box.append(link);
  $("toasts").append(box);
  setTimeout(() => box.remove(), 15000);
}

async function loadFeed() {
  const feed = await api("GET", "/v1/notifications?limit=30");
  const badge = $("unread");
  badge.textContent = String(feed.unread);
  badge.classList.toggle("zero", feed.unread === 0);
  $("bell").setAttribute("aria-label", t("notifications") + ", " + t("unread", { n: feed.unread }));
  const list = $("feed-items");
  list.textContent = "";
  if (!feed.items.length) list.append(el("li", {}, t("no_notifications")));
  for (const n of feed.items) {
    const kind = n.export ? kindName(n.export.kind) : "#" + n.export_id;
    const li = el("li", { class: n.read ? "" : "unread" }, t(n.event === "succeeded" ? "toast_ready" : "toast_failed", { kind }), " ", el("small", {}, fmtDate(n.created_at)));
    if (n.link) li.append(" ", el("a", { href: n.link }, t("download")));
    list.append(li);
  }
}

async function onExportEvent(ev) {
  const data = JSON.parse(ev.data);
  const known = App.exports.get(data.export_id);
  if (known && (data.status === "queued" || data.status === "running")) {
    upsertExport(Object.assign({}, known, { status: data.status, progress: data.progress }));
    return;
  }
  const e = await api("GET", "/v1/exports/" + data.export_id);
  upsertExport(e);
  if (!known || known.status === e.status) return;
  if (e.status === "succeeded") {
    toast(t("toast_ready", { kind: kindName(e.kind) }), el("a", { href: "/v1/exports/" + e.id + "/download" }, t("download")));
  } else if (e.status === "failed") {
    toast(t("toast_failed", { kind: kindName(e.kind) }) + " " + (e.error ? e.error.message : ""));
  }
  if (e.status === "succeeded" || e.status === "failed") loadFeed();
}

function listen() {
  const source = new EventSource("/v1/notifications/stream");
  source.addEventListener("open", () => { $("live").textContent = t("live"); });
  source.addEventListener("error", () => { $("live").textContent = t("offline"); });
  source.addEventListener("export", (ev) => { onExportEvent(ev).catch(() => {}); });
}

// ---- Start -------------------------------------------------------------------------
async function start() {
  const [me, kinds] = await Promise.all([api("GET", "/v1/me"), api("GET", "/v1/kinds")]);
  App.me = me;
  App.kinds = kinds.items;
  setLocale(me.locale);
  $("account").textContent = me.account_name + " · " + me.plan;
  fillKinds($("kind"));
  const to = me.latest_day, from = isoDay(new Date(Date.parse(to) - 29 * 86400000));
  for (const id of ["from", "to"]) { $(id).min = me.earliest_day; $(id).max = me.latest_day; }
  $("from").value = from < me.earliest_day ? me.earliest_day : from;
  $("to").value = to;
  $("range-help").textContent = t("range_help", { max: me.max_range_days, earliest: me.earliest_day, latest: me.latest_day });
  if (me.email) $("emails").value = me.email;
  showFilters();
  checkRange();
  $("kind").addEventListener("change", showFilters);
  $("from").addEventListener("input", checkRange);
  $("to").addEventListener("input", checkRange);
  document.querySelectorAll('input[name="format"]').forEach((r) => r.addEventListener("change", toggleCsvOnly));
  $("request-form").addEventListener("submit", submitRequest);
  $("bell").addEventListener("click", () => {
    const feed = $("feed"), open = feed.hidden;
    feed.hidden = !open;
    $("bell").setAttribute("aria-expanded", String(open));
    if (open) loadFeed();
  });
  $("mark-read").addEventListener("click", async () => { await api("POST", "/v1/notifications/read"); loadFeed(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("feed").hidden) $("bell").click(); });
  await Promise.all([loadExports(), loadFeed(), Schedules.start()]);
  listen();
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch((e) => { $("request-result").className = "error"; $("request-result").textContent = e.message; });
});
