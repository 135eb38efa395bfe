// The admin page's core: the API client (errors keep their machine code), dates and sizes
// in one format, the in-page confirmation dialog, and start-up. The parts of the page are
// in their own files: request.js (the form), exports.js (the list), live.js (the event
// stream, polling, toasts, the bell), schedules.js, destinations.js and destination_form.js.
"use strict";
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
// `exports`: the rows listed; `seen`: the last state seen of every export, listed or not.
const App = { me: null, kinds: [], exports: new Map(), seen: new Map() };
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
};

// An error answer of the API: its status and machine code, and the words for it in the
// page's language (the API's own message is English).
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
    this.apiMessage = message;
  }
}

async function api(method, path, body, headers) {
  const h = Object.assign({ Accept: "application/json" }, headers || {});
  if (method !== "GET") h["X-CSRF-Token"] = CSRF;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers: h, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", t("err_network"));
  }
  if (r.status === 401) { location.reload(); throw new ApiError(401, "unauthorized", t("err_session_ended")); }
  if (r.status === 204) return null;
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    const code = (data.error && data.error.code) || "internal";
    throw new ApiError(r.status, code, (data.error && data.error.message) || r.statusText);
  }
  return data;
}

// ---- Words for values ---------------------------------------------------------------
// Titles and descriptions come from the registry (GET /v1/kinds), in the page's language.
const kindInfo = (k) => App.kinds.find((x) => x.kind === k);
const kindName = (k) => { const d = kindInfo(k); return d ? d.title[LOCALE] || d.title.es : k; };
const kindAbout = (k) => { const d = kindInfo(k); return d ? d.about[LOCALE] || d.about.es : ""; };

// One format for every date (day month year) and every instant (the same, with the time
// and its zone), in the page's language.
const DAY = { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
const fmtDay = (iso) => iso ? new Intl.DateTimeFormat(LOCALE, DAY).format(new Date(iso + "T00:00:00Z")) : "";
const fmtMonth = (ym) => new Intl.DateTimeFormat(LOCALE, { month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(ym + "-01T00:00:00Z"));
// A schedule's period key as the day or month it names: a month ("2026-10"), a run date
// ("2026-10-05") or the ISO week date of one ("2026-W41-1").
function fmtPeriod(key) {
  if (/^\d{4}-\d{2}$/.test(key)) return fmtMonth(key);
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return fmtDay(key);
  const w = /^(\d{4})-W(\d{2})-([1-7])$/.exec(key);
  if (!w) return key;
  // Week 1 is the week (from Monday) that holds 4 January.
  const jan4 = Date.UTC(Number(w[1]), 0, 4), monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86400000;
  return fmtDay(isoDay(new Date(monday + ((Number(w[2]) - 1) * 7 + Number(w[3]) - 1) * 86400000)));
}
const fmtRange = (from, to) => new Intl.DateTimeFormat(LOCALE, DAY).formatRange(new Date(from + "T00:00:00Z"), new Date(to + "T00:00:00Z"));
const instantParts = (iso, tz) => {
  const d = new Date(iso), timeZone = tz || (App.me && App.me.timezone) || undefined;
  return [
    new Intl.DateTimeFormat(LOCALE, Object.assign({}, DAY, { timeZone })).format(d),
    new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone, timeZoneName: "short" }).format(d),
  ];
};
const fmtInstant = (iso, tz) => iso ? instantParts(iso, tz).join(", ") : "";
// The same, as an element that breaks, if it must, only between the day and the time.
const instant = (iso, tz) => {
  if (!iso) return "";
  const [day, time] = instantParts(iso, tz);
  return el("span", { class: "instant" }, el("span", {}, day + ","), " ", el("span", {}, time));
};
const fmtBytes = (n) => {
  const [v, unit] = n >= 1e6 ? [n / 1e6, "megabyte"] : n >= 1e3 ? [n / 1e3, "kilobyte"] : [n, "byte"];
  return new Intl.NumberFormat(LOCALE, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(v);
};
const days = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / 86400000) + 1;
const isoDay = (d) => d.toISOString().slice(0, 10);
const addDays = (iso, n) => isoDay(new Date(Date.parse(iso + "T00:00:00Z") + n * 86400000));
// An export's or a schedule's recipients (its NotifySpec), in the page's language, by the
// server's rule: a spec that names no email, no webhook and says nothing of the in-app
// notice is the default, and `none` names who is told then (whoever asked, or whoever made
// the schedule); one that names something tells only what it names.
function notifyText(n, none) {
  const spec = n || {}, parts = [...(spec.emails || [])];
  if (spec.webhook) parts.push(t("notify_webhook", { host: (() => { try { return new URL(spec.webhook).host; } catch (_) { return spec.webhook; } })() }));
  if (spec.in_app) parts.push(t("notify_in_app"));
  if (parts.length) return parts.join(", ");
  return t(notifyDefault(spec) ? none : "notify_nobody");
}
const notifyDefault = (n) => !(n && ((n.emails && n.emails.length) || n.webhook || (n.in_app !== null && n.in_app !== undefined)));
// A time zone's IANA name as the page shows it everywhere: "America/Mexico City".
const zoneName = (z) => String(z || "").replaceAll("_", " ");
// Words kept on one line (a date range, a day) inside a sentence that may wrap.
const nowrap = (text) => el("span", { class: "nowrap" }, text);
// The words of `key` with elements for some of its {names} (a range kept on one line):
// the parts to append, strings and elements.
function tParts(key, vars) {
  const nodes = {}, plain = {};
  for (const [k, v] of Object.entries(vars || {})) (v instanceof Node ? nodes : plain)[k] = v;
  return t(key, plain).split(/(\{\w+\})/).filter(Boolean).map((p) => {
    const m = /^\{(\w+)\}$/.exec(p);
    return m && nodes[m[1]] ? nodes[m[1]] : p;
  });
}
// The link to an export's file, as every list of the page shows it.
const downloadLink = (id) => el("a", { href: "/v1/exports/" + id + "/download", class: "download", "data-export": id }, t("download"));
const emailList = (s) => s.split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean);

// An API error in the page's language, with what the API's message names (an address, an
// option) when the words need it.
function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message || err);
  const quoted = /"([^"]+)"/.exec(err.apiMessage || "");
  const option = /options\.(\w+)/.exec(err.apiMessage || "");
  const number = /(\d+)/.exec(err.apiMessage || "");
  const me = App.me || {};
  const vars = {
    value: quoted ? quoted[1] : "", option: option ? t("opt_" + option[1]) : "", code: err.code, days: number ? number[1] : "",
    earliest: fmtDay(me.earliest_day), latest: fmtDay(me.latest_day), max: me.max_range_days,
  };
  if (err.code === "invalid_email" && !quoted) return t("e_invalid_email_long");
  const key = "e_" + err.code;
  return has(key) ? t(key, vars) : t("e_other", vars);
}

// The errors in view, each with how to say it (again, in another language): element ->
// { words, said }.
const ERRORS_SHOWN = new Map();

// Shows an error in `slot`, its field marked invalid; `words` says it in the page's language.
function sayError(slot, words) {
  const said = words();
  ERRORS_SHOWN.set(slot, { words, said });
  slot.textContent = said;
  slot.hidden = false;
  slot.classList.add("error");
  const input = slot.dataset.for && $(slot.dataset.for);
  if (input) input.setAttribute("aria-invalid", "true");
}

// Takes a field's error away, and the field's mark.
function unsayError(slot) {
  ERRORS_SHOWN.delete(slot);
  slot.hidden = true;
  slot.textContent = "";
  const input = slot.dataset.for && $(slot.dataset.for);
  if (input) input.setAttribute("aria-invalid", "false");
}

// The errors in view, in the page's language now; one rewritten since by other code is
// that code's to say.
function resayErrors() {
  for (const [slot, shown] of ERRORS_SHOWN) {
    if (!slot.isConnected || slot.hidden || slot.textContent !== shown.said) { ERRORS_SHOWN.delete(slot); continue; }
    shown.said = shown.words();
    slot.textContent = shown.said;
  }
}

// Shows an error under the field it concerns: `slots` maps a field to its error element's
// id; codes name their field in FIELD_OF (i18n.js). Anything else goes to `fallback`.
function showError(err, slots, fallback) {
  const field = err instanceof ApiError ? FIELD_OF[err.code] : null;
  const slot = $(slots[field] || fallback);
  sayError(slot, () => errorText(err));
  const input = slot.dataset.for && $(slot.dataset.for);
  if (input) input.focus();
}

function clearErrors(form) {
  form.querySelectorAll(".error[data-slot]").forEach((e) => { ERRORS_SHOWN.delete(e); e.hidden = true; e.textContent = ""; });
  form.querySelectorAll("[aria-invalid=true]").forEach((e) => e.setAttribute("aria-invalid", "false"));
}

// ---- Confirmation, in the page ---------------------------------------------------------
// Resolves true when the admin confirms. A <dialog> of the page, not window.confirm: it
// speaks the page's language and can be seen and driven like the rest of the page.
function confirmAction(text, yes) {
  const d = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  return new Promise((resolve) => {
    const done = (v) => () => { d.close(); cleanup(); resolve(v); };
    const onYes = done(true), onNo = done(false);
    const onCancel = (e) => { e.preventDefault(); onNo(); };
    const cleanup = () => {
      $("confirm-yes").removeEventListener("click", onYes);
      $("confirm-no").removeEventListener("click", onNo);
      d.removeEventListener("cancel", onCancel);
    };
    $("confirm-yes").addEventListener("click", onYes);
    $("confirm-no").addEventListener("click", onNo);
    d.addEventListener("cancel", onCancel);
    d.showModal();
    $("confirm-no").focus();
  });
}

// ---- Start -------------------------------------------------------------------------
// Everything the page shows again in another language.
function render() {
  translate(document);
  Request.render();
  Destinations.render();
  Exports.render();
  Live.render();
  Schedules.render();
  resayErrors();
}

async function start() {
  // The destinations first too: the forms' boxes and the lists name them. Without them
  // the page still works.
  const [me, kinds, destinations] = await Promise.all([api("GET", "/v1/me"), api("GET", "/v1/kinds"),
    api("GET", "/v1/destinations").catch((error) => ({ error }))]);
  App.me = me;
  App.kinds = kinds.items;
  setLocale(chosenLocale() || me.locale);
  $("account").textContent = me.account_name + " · " + me.plan;
  Request.start();
  Destinations.start(destinations);
  Exports.start();
  document.addEventListener("localechange", render);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("feed").hidden) $("bell").click(); });
  await Promise.all([Exports.load(), Live.start(), Schedules.start()]);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch((e) => { const out = $("request-result"); out.className = "error"; out.textContent = errorText(e); });
});
