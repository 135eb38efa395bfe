// The page's schedules: list, create, edit, disable, delete and run now daily, weekly and
// monthly exports. Each row shows the kind's filters, the recipients (by the exports list's
// rule and words) and the destinations its files go to, its rhythm in words (in its own time zone, and what each run covers),
// the next three runs and the last runs with the days they covered and their files; the
// list is loaded again when a run's export changes (`refreshSoon`, from live.js). An
// export's "schedule this" fills the form from it (`prefill`). The form has the request
// form's filter widgets, the fields of the chosen cadence only, a time-zone picker, a box
// for each of the account's destinations and the API's limits checked before sending; a field's error goes when its value changes. A
// sessions_detail or campaigns schedule may be a feed: each run exports what became final
// since the previous one (sessions closed, message states changed; each once), so "covers"
// does not apply to it.
"use strict";
const Schedules = (() => {
  const SLOTS = {
    kind: "s-kind-error", filters: "s-filters-error", format: "s-format-error", cadence: "s-cadence-error", day: "s-day-error",
    weekday: "s-weekday-error", week_start: "s-week-start-error", last_days: "s-last-days-error", feed: "s-feed-error", hour: "s-hour-error", tz: "s-tz-error", emails: "s-emails-error",
    deliver: "s-deliver-error",
  };
  const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  const FEED_KINDS = ["sessions_detail", "campaigns"]; // the kinds a feed may have
  const feedWords = (key, kind) => key + (kind === "campaigns" ? "_campaigns" : "");
  let editing = null, items = [];
  let before = null; // the schedule edited, as last listed: what a PATCH must clear
  let webhook = null; // the webhook of the schedule edited or the export copied, kept on save
  let said = null; // the message under the form: { key, vars() }, said again in another language
  const drawn = new Map(); // schedule id -> the schedule its row shows, as JSON

  // When a schedule runs and what each run covers, in words: "Cada lunes a las 06:00
  // (America/Santiago), cubre la semana pasada"; a feed's: "Cada día a las 06:00
  // (America/Santiago), feed: las sesiones cerradas desde la ejecución anterior".
  function rhythm(s) {
    const c = s.cadence || "monthly", vars = { hour: String(s.hour).padStart(2, "0") + ":00", tz: zoneName(s.timezone) };
    const when = c === "daily" ? t("when_daily", vars)
      : c === "weekly" ? t("when_weekly", Object.assign({ every: t("every_" + s.day_of_week) }, vars))
      : s.day_of_month === "last" ? t("when_monthly_last", vars) : t("when_monthly", Object.assign({ day: s.day_of_month }, vars));
    if (s.feed) return when + ", " + t(feedWords("feed_what", s.kind));
    let what = s.last_days ? t(s.last_days === 1 ? "last_n_days_one" : "last_n_days", { n: s.last_days }) : t("closed_" + c);
    if (c === "weekly" && !s.last_days && s.week_start && s.week_start !== "monday") {
      const end = WEEKDAYS[(WEEKDAYS.indexOf(s.week_start) + 6) % 7];
      what += " (" + t("week_span", { from: t("wd_" + s.week_start), to: t("wd_" + end) }) + ")";
    }
    return when + ", " + t("covers_what", { what });
  }

  // Each run in one line: "Ejecución del 3 dic 2026 · cubrió 22–28 nov 2026 · Listo ·
  // Descargar" (a monthly one: "Ejecución de nov 2026 · …"); a feed's run says its interval
  // of close instants, in the schedule's zone, and its rows once written: "… · sesiones
  // cerradas del 2 dic 2026, 06:00 GMT-3 al 3 dic 2026, 06:00 GMT-3 · 41 filas · Listo · …".
  // It breaks only between words.
  function runs(s) {
    if (!s.last_runs.length) return el("span", { class: "muted" }, t("sch_no_runs"));
    const list = el("ul", { class: "runs" });
    for (const r of s.last_runs) {
      const month = /^\d{4}-\d{2}$/.test(r.period || "");
      const when = r.period ? nowrap(fmtPeriod(r.period)) : instant(r.created_at);
      const li = el("li", { "data-export": r.export_id }, el("span", { class: "run-of" }, ...tParts(month ? "run_of_month" : "run_of_day", { month: when, day: when })));
      if (r.feed_from && r.feed_to) {
        li.append(" · ", el("span", { class: "covered" }, ...tParts(feedWords("run_feed", s.kind), { from: instant(r.feed_from, s.timezone), to: instant(r.feed_to, s.timezone) })));
        if (r.rows != null) li.append(" · ", el("span", { class: "rows nowrap" }, t("n_rows", { n: new Intl.NumberFormat(LOCALE).format(r.rows) })));
      } else if (r.range_from && r.range_to) li.append(" · ", el("span", { class: "covered" }, ...tParts("run_covered", { range: nowrap(fmtRange(r.range_from, r.range_to)) })));
      li.append(" · ", el("span", { class: "st-" + r.status }, t("st_" + r.status)));
      if (r.status === "succeeded") li.append(" · ", downloadLink(r.export_id));
      list.append(li);
    }
    return list;
  }

  // The next three runs, each in the schedule's own zone.
  function nextRuns(s) {
    const list = el("ol", { class: "next-runs" });
    for (const at of s.next_runs && s.next_runs.length ? s.next_runs : [s.next_run_at]) list.append(el("li", {}, instant(at, s.timezone)));
    return list;
  }

  function row(s) {
    const cell = (key, ...kids) => el("td", { "data-label": t(key) }, el("div", { class: "v" }, ...kids));
    const named = (cls, key, ...kids) => { const td = cell(key, ...kids); td.className = cls; return td; };
    const toggle = el("button", { type: "button", class: "toggle", onclick: () => save(s.id, { enabled: !s.enabled }) }, t(s.enabled ? "disable" : "enable"));
    const edit = el("button", { type: "button", class: "edit", onclick: () => startEdit(s) }, t("edit"));
    const del = el("button", { type: "button", class: "delete", onclick: () => remove(s) }, t("delete"));
    const run = el("button", { type: "button", class: "run-now", onclick: () => runNow(s, run) }, t("run_now"));
    return el("tr", { id: "schedule-" + s.id },
      cell("col_id", String(s.id)),
      cell("col_report", kindName(s.kind) + " (" + s.format + ")", el("div", { class: "filters muted" }, Options.summary(s.options) || t("no_filters"))),
      named("when", "col_when", rhythm(s)),
      named("next", "col_next", s.enabled ? nextRuns(s) : "—"),
      named("recipients", "recipients", notifyText(s.notify, "notify_default_schedule"), Destinations.line(s.deliver)),
      cell("col_status", t(s.enabled ? "enabled" : "disabled")),
      named("history", "sch_runs", runs(s)),
      named("actions", "col_actions", run, edit, toggle, del));
  }

  // The rows, in the list's order; a row whose schedule did not change is left as it is (and
  // the focus in it) unless `all` (another language).
  function draw(all) {
    const body = $("schedule-rows"), listed = new Set(items.map((s) => "schedule-" + s.id));
    for (const r of [...body.children]) if (!listed.has(r.id)) { r.remove(); drawn.delete(Number(r.id.slice(9))); }
    let prev = null;
    for (const s of items) {
      const json = JSON.stringify(s);
      let r = $("schedule-" + s.id);
      if (!r || all || drawn.get(s.id) !== json) {
        const fresh = row(s);
        if (r) r.replaceWith(fresh);
        r = fresh;
        drawn.set(s.id, json);
      }
      const at = prev ? prev.nextSibling : body.firstChild;
      if (r !== at) body.insertBefore(r, at);
      prev = r;
    }
    $("no-schedules").hidden = items.length > 0;
  }

  // Each load is numbered: only the latest answer is drawn, whatever order they arrive in.
  let loads = 0, lastLoad = 0, soon = null;
  async function load() {
    const mine = ++loads;
    lastLoad = Date.now();
    const page = await api("GET", "/v1/schedules");
    if (mine !== loads) return;
    items = page.items;
    draw();
  }

  // A run's export changed (the event stream, or polling): the list again, so its history
  // shows the run's state; at most one load a second, however many changes arrive.
  function refreshSoon() {
    if (soon) return;
    soon = setTimeout(() => { soon = null; load().catch(() => {}); }, Math.max(0, lastLoad + 1000 - Date.now()));
  }

  // Whether an export is one of the runs listed.
  const hasRun = (id) => items.some((s) => (s.last_runs || []).some((r) => r.export_id === id));

  // The message under the form (saved, deleted, filled from an export), or none.
  function say(key, vars) {
    const out = $("schedule-result");
    ERRORS_SHOWN.delete(out);
    out.className = "";
    said = key ? { key, vars: vars || (() => ({})) } : null;
    out.textContent = said ? t(key, said.vars()) : "";
  }

  function fillZones(keep) {
    const select = $("s-tz");
    const zones = new Set(typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []);
    for (const z of ["UTC", App.me.timezone, keep]) if (z) zones.add(z);
    select.textContent = "";
    for (const z of [...zones].sort()) select.append(el("option", { value: z }, zoneName(z)));
    select.value = keep || App.me.timezone;
  }

  // The choices whose words the page makes, in its language; the values chosen stay.
  function fillChoices() {
    const fill = (id, pairs) => {
      const select = $(id), was = select.value;
      select.textContent = "";
      for (const [value, words] of pairs) select.append(el("option", { value }, words));
      if (was) select.value = was;
    };
    fill("s-day", [...Array.from({ length: 28 }, (_, i) => [String(i + 1), String(i + 1)]), ["last", t("last_day")]]);
    // As each language writes them in a sentence: "lunes" in Spanish, "Monday" in English.
    const days = WEEKDAYS.map((d) => [d, t("wd_" + d)]);
    fill("s-weekday", days);
    fill("s-week-start", days);
  }

  // Whether the form's schedule is a feed (its kind may be one, and the box is ticked), and
  // whether it covers a rolling window of days (a feed covers none).
  const feedOn = () => FEED_KINDS.includes($("s-kind").value) && $("s-feed").checked;
  const rollingOn = () => !feedOn() && $("s-covers").value === "days";

  // Only the fields of the chosen cadence; "the period just closed" in its words; the days
  // of a rolling window only for one (and then the week's first day does not matter); the
  // feed box only for the kind that may be one, and for a feed neither what it covers nor
  // the week's first day.
  function showWhen() {
    const c = $("s-cadence").value, feed = feedOn(), rolling = rollingOn();
    document.querySelectorAll("#schedule-form [data-cadence]").forEach((e) => { e.hidden = e.dataset.cadence !== c; });
    if (rolling || feed) $("s-week-start-field").hidden = true;
    $("s-feed-field").hidden = !FEED_KINDS.includes($("s-kind").value);
    $("s-covers-fields").hidden = feed;
    $("s-days-field").hidden = !rolling;
    $("s-covers").options[0].textContent = t("covers_closed", { what: t("closed_" + c) });
    // An error of a field no longer in view goes with it.
    document.querySelectorAll("#schedule-form .when-fields .error[data-slot], #s-feed-error").forEach((e) => { if (!e.hidden && e.parentElement.closest("[hidden]")) unsayError(e); });
  }

  // The emails field of a schedule that names nobody says who is told then; left empty,
  // the schedule keeps telling them.
  function emailsHint() {
    $("s-emails").placeholder = before && notifyDefault(before.notify) ? t("notify_default_schedule") : "";
  }

  function showFilters() {
    Options.render($("s-filter-fields"), $("s-kind").value, "s-");
    $("s-kind-about").textContent = kindAbout($("s-kind").value);
    const csv = $("s-format").value === "csv";
    document.querySelectorAll("#s-filter-fields .csv-only").forEach((e) => { e.hidden = !csv; });
    $("s-filters").hidden = ![...$("s-filter-fields").children].some((c) => !c.hidden);
  }

  function reset() {
    editing = null;
    before = null;
    webhook = null;
    say(null);
    $("schedule-form").reset();
    clearErrors($("schedule-form"));
    fillZones(App.me.timezone);
    Options.write($("s-filter-fields"), {});
    showFilters();
    showWhen();
    if (App.me.email) $("s-emails").value = App.me.email;
    emailsHint();
    Destinations.write("s-deliver", []);
    $("schedule-form-title").textContent = t("sch_new");
    $("s-cancel").hidden = true;
  }

  function startEdit(s) {
    editing = s.id;
    before = s;
    say(null);
    clearErrors($("schedule-form"));
    $("s-kind").value = s.kind;
    $("s-format").value = s.format;
    Options.write($("s-filter-fields"), {});
    showFilters();
    Options.write($("s-filter-fields"), s.options || {});
    const c = s.cadence || "monthly";
    $("s-cadence").value = c;
    $("s-day").value = c === "monthly" && s.day_of_month != null ? String(s.day_of_month) : "1";
    $("s-weekday").value = s.day_of_week || "monday";
    $("s-week-start").value = s.week_start || "monday";
    $("s-covers").value = s.last_days ? "days" : "closed";
    $("s-last-days").value = s.last_days || 7;
    $("s-feed").checked = !!s.feed;
    showWhen();
    $("s-hour").value = s.hour;
    fillZones(s.timezone);
    $("s-emails").value = ((s.notify && s.notify.emails) || []).join(", ");
    emailsHint();
    webhook = (s.notify && s.notify.webhook) || null;
    Destinations.write("s-deliver", s.deliver);
    $("s-enabled").checked = s.enabled;
    $("schedule-form-title").textContent = t("sch_edit", { id: s.id });
    $("s-cancel").hidden = false;
    $("schedule-form").scrollIntoView();
    $("s-kind").focus();
  }

  // "Schedule this" on an export: a new schedule with its kind, format, filters,
  // recipients and destinations, to which only the day and hour remain to be chosen.
  function prefill(e) {
    reset();
    $("s-kind").value = e.kind;
    $("s-format").value = e.format;
    Options.write($("s-filter-fields"), {});
    showFilters();
    Options.write($("s-filter-fields"), e.options || {});
    showWhen();
    const n = e.notify || {};
    if (n.emails && n.emails.length) $("s-emails").value = n.emails.join(", ");
    webhook = n.webhook || null;
    Destinations.write("s-deliver", e.deliver);
    say("sch_prefilled", () => ({ id: e.id, kind: kindName(e.kind) }));
    $("schedule-form").scrollIntoView();
    $("s-day").focus();
  }

  async function save(id, body) {
    say(null);
    try {
      if (id) await api("PATCH", "/v1/schedules/" + id, body); else await api("POST", "/v1/schedules", body);
      reset();
      say("sch_saved");
      await load();
    } catch (err) {
      showError(err, shownSlots(), "schedule-result");
      Destinations.stale(err);
    }
  }

  // The error slots of the fields in view: an error about a hidden field goes under the form.
  const shownSlots = () => Object.fromEntries(Object.entries(SLOTS).filter(([, id]) => !$(id).parentElement.closest("[hidden]")));

  // "Run now": the latest run already due, made now, or the one made before for it. The
  // API answers with the export either way; one of the listed runs was made before.
  async function runNow(s, button) {
    button.disabled = true;
    try {
      const e = await api("POST", "/v1/schedules/" + s.id + "/run", {}, { "Idempotency-Key": Request.newKey() });
      const made = !s.last_runs.some((r) => r.export_id === e.id);
      // The range never breaks across lines.
      const what = el("span", {}, kindName(e.kind) + ", ", nowrap(fmtRange(e.from, e.to)));
      Live.note(el("span", {}, ...tParts(made ? "run_made" : "run_existed", { id: e.id, what })));
      await Promise.all([load(), Exports.load()]);
    } catch (err) {
      Live.note(errorText(err));
    } finally {
      button.disabled = false;
    }
  }

  async function remove(s) {
    if (!(await confirmAction(t("confirm_delete", { id: s.id, kind: kindName(s.kind) }), t("delete")))) return;
    try {
      await api("DELETE", "/v1/schedules/" + s.id);
      if (editing === s.id) reset();
      say("sch_deleted");
      await load();
    } catch (err) {
      showError(err, SLOTS, "schedule-result");
    }
  }

  // The API's limits, checked here first: a day 1–28 or the last, a whole hour 0–23, and
  // a window of whole days, at most as many as a report may cover.
  const maxDays = () => App.me.max_range_days || 90;
  function limits() {
    const whole = (id, lo, hi) => { const v = $(id).value.trim(); return /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi; };
    const bad = [], c = $("s-cadence").value;
    if (c === "monthly" && !whole("s-day", 1, 28) && $("s-day").value !== "last") bad.push(["s-day-error", "e_invalid_day_of_month"]);
    if (c === "weekly" && !WEEKDAYS.includes($("s-weekday").value)) bad.push(["s-weekday-error", "e_invalid_day_of_week"]);
    if (!whole("s-hour", 0, 23)) bad.push(["s-hour-error", "e_invalid_hour"]);
    if (rollingOn() && !whole("s-last-days", 1, maxDays())) bad.push(["s-last-days-error", "e_invalid_last_days"]);
    for (const [slot, key] of bad) sayError($(slot), () => t(key, { max: maxDays() }));
    if (bad.length) $($(bad[0][0]).dataset.for).focus();
    return !bad.length;
  }

  // When it runs and what it covers: only the fields of its cadence (the API refuses the
  // others), no days for a feed; on an edit, null for what applied before and no longer
  // does. Whether it is a feed: always on a new one; on an edit only when that changes
  // (a schedule of another kind is no feed).
  function timing() {
    const c = $("s-cadence").value, rolling = rollingOn(), feed = feedOn();
    const body = { cadence: c, hour: Number($("s-hour").value), timezone: $("s-tz").value };
    if (c === "monthly") body.day_of_month = $("s-day").value === "last" ? "last" : Number($("s-day").value);
    if (c === "weekly") Object.assign(body, { day_of_week: $("s-weekday").value, week_start: $("s-week-start").value });
    if (rolling) body.last_days = Number($("s-last-days").value);
    if (!before || feed !== !!before.feed) body.feed = feed;
    if (!before) return body;
    if (!rolling && before.last_days != null) body.last_days = null;
    if (c !== "monthly" && before.day_of_month != null) body.day_of_month = null;
    if (c !== "weekly" && before.day_of_week != null) body.day_of_week = null;
    return body;
  }

  // Who is told: the emails, the in-app notice and the webhook kept. A schedule edited that
  // named nobody (whoever made it is told) keeps naming nobody while its emails stay empty.
  function notify() {
    const emails = emailList($("s-emails").value);
    if (before && notifyDefault(before.notify) && !emails.length && !webhook) return {};
    return { notify: Object.assign({ emails, in_app: true }, webhook ? { webhook } : {}) };
  }

  // The destinations ticked: on a new schedule when there are any; on an edit, the whole
  // list when it changed (one deleted since is dropped then). Nothing while the list of
  // destinations could not be read.
  function deliver() {
    if (!Destinations.ready()) return {};
    const ids = Destinations.read("s-deliver").sort((a, b) => a - b);
    if (!before) return ids.length ? { deliver: ids } : {};
    const was = [...(before.deliver || [])].sort((a, b) => a - b);
    return ids.join() === was.join() ? {} : { deliver: ids };
  }

  function submit(ev) {
    ev.preventDefault();
    clearErrors($("schedule-form"));
    if (!limits()) return;
    const body = Object.assign({
      kind: $("s-kind").value, format: $("s-format").value, options: Options.read($("s-filter-fields")), enabled: $("s-enabled").checked,
    }, notify(), deliver(), timing());
    save(editing, body);
  }

  // A value changed: its field's error goes, and so does "saved" or "deleted".
  function changed(ev) {
    const target = ev.target;
    const slot = target.closest("#s-filters") ? $("s-filters-error")
      : target.closest("#s-deliver-field") ? $("s-deliver-error")
      : target.id ? document.querySelector('#schedule-form .error[data-for="' + target.id + '"]') : null;
    if (slot && !slot.hidden) unsayError(slot);
    if (said && (said.key === "sch_saved" || said.key === "sch_deleted")) say(null);
  }

  function render() {
    Request.fillKinds($("s-kind"));
    const kept = Options.read($("s-filter-fields"), true);
    showFilters();
    Options.write($("s-filter-fields"), kept);
    fillChoices();
    showWhen();
    emailsHint();
    $("schedule-form-title").textContent = editing ? t("sch_edit", { id: editing }) : t("sch_new");
    if (said) $("schedule-result").textContent = t(said.key, said.vars());
    draw(true);
  }

  async function start() {
    Request.fillKinds($("s-kind"));
    fillChoices();
    $("s-last-days").max = maxDays();
    reset();
    $("s-kind").addEventListener("change", showFilters);
    $("s-format").addEventListener("change", showFilters);
    $("s-cadence").addEventListener("change", showWhen);
    $("s-covers").addEventListener("change", showWhen);
    $("s-kind").addEventListener("change", showWhen);
    $("s-feed").addEventListener("change", showWhen);
    $("schedule-form").addEventListener("submit", submit);
    $("schedule-form").addEventListener("input", changed);
    $("schedule-form").addEventListener("change", changed);
    $("s-cancel").addEventListener("click", reset);
    await load();
  }

  return { start, load, render, redraw: () => draw(true), prefill, refreshSoon, hasRun };
})();
