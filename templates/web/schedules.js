// The page's schedules: list, create, edit, disable and delete monthly exports. Each row
// shows the kind's filters, the recipients, when it runs (in its own time zone), the next
// three runs and the last runs with their files. An export's "schedule this" fills the
// form from it (`prefill`). The form has the request form's filter widgets,
// a time-zone picker and the API's limits checked before sending.
"use strict";
const Schedules = (() => {
  const SLOTS = { kind: "s-kind-error", filters: "s-filters-error", format: "s-format-error", day: "s-day-error", hour: "s-hour-error", tz: "s-tz-error", emails: "s-emails-error" };
  let editing = null, items = [];
  let webhook = null; // the webhook of the schedule edited or the export copied, kept on save

  function runs(s) {
    if (!s.last_runs.length) return el("span", { class: "muted" }, t("sch_no_runs"));
    const list = el("ul", { class: "runs" });
    for (const r of s.last_runs) {
      const li = el("li", { "data-export": r.export_id }, (r.period ? fmtMonth(r.period) : fmtInstant(r.created_at)) + " · ", el("span", { class: "st-" + r.status }, t("st_" + r.status)));
      if (r.status === "succeeded") li.append(" ", el("a", { href: "/v1/exports/" + r.export_id + "/download" }, t("download")));
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
    const emails = (s.notify && s.notify.emails) || [];
    return el("tr", { id: "schedule-" + s.id },
      cell("col_id", String(s.id)),
      cell("col_report", kindName(s.kind) + " (" + s.format + ")", el("div", { class: "filters muted" }, Options.summary(s.options) || t("no_filters"))),
      named("when", "col_when", t("monthly_at", { day: s.day_of_month, hour: String(s.hour).padStart(2, "0"), tz: s.timezone })),
      named("next", "col_next", s.enabled ? nextRuns(s) : "—"),
      named("recipients", "recipients", emails.length ? emails.join(", ") : t("sch_in_app_only")),
      cell("col_status", t(s.enabled ? "enabled" : "disabled")),
      named("history", "sch_runs", runs(s)),
      named("actions", "col_actions", edit, toggle, del));
  }

  function draw() {
    const body = $("schedule-rows");
    body.textContent = "";
    for (const s of items) body.append(row(s));
    $("no-schedules").hidden = items.length > 0;
  }

  async function load() {
    items = (await api("GET", "/v1/schedules")).items;
    draw();
  }

  function fillZones(keep) {
    const select = $("s-tz");
    const zones = new Set(typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []);
    for (const z of ["UTC", App.me.timezone, keep]) if (z) zones.add(z);
    select.textContent = "";
    for (const z of [...zones].sort()) select.append(el("option", { value: z }, z.replaceAll("_", " ")));
    select.value = keep || App.me.timezone;
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
    webhook = null;
    $("schedule-form").reset();
    clearErrors($("schedule-form"));
    fillZones(App.me.timezone);
    Options.write($("s-filter-fields"), {});
    showFilters();
    if (App.me.email) $("s-emails").value = App.me.email;
    $("schedule-form-title").textContent = t("sch_new");
    $("s-cancel").hidden = true;
  }

  function startEdit(s) {
    editing = s.id;
    clearErrors($("schedule-form"));
    $("s-kind").value = s.kind;
    $("s-format").value = s.format;
    Options.write($("s-filter-fields"), {});
    showFilters();
    Options.write($("s-filter-fields"), s.options || {});
    $("s-day").value = s.day_of_month;
    $("s-hour").value = s.hour;
    fillZones(s.timezone);
    $("s-emails").value = ((s.notify && s.notify.emails) || []).join(", ");
    webhook = (s.notify && s.notify.webhook) || null;
    $("s-enabled").checked = s.enabled;
    $("schedule-form-title").textContent = t("sch_edit", { id: s.id });
    $("s-cancel").hidden = false;
    $("schedule-form").scrollIntoView();
    $("s-kind").focus();
  }

  // "Schedule this" on an export: a new schedule with its kind, format, filters and
  // recipients, to which only the day and hour remain to be chosen.
  function prefill(e) {
    reset();
    $("s-kind").value = e.kind;
    $("s-format").value = e.format;
    Options.write($("s-filter-fields"), {});
    showFilters();
    Options.write($("s-filter-fields"), e.options || {});
    const n = e.notify || {};
    if (n.emails && n.emails.length) $("s-emails").value = n.emails.join(", ");
    webhook = n.webhook || null;
    $("schedule-result").className = "";
    $("schedule-result").textContent = t("sch_prefilled", { id: e.id, kind: kindName(e.kind) });
    $("schedule-form").scrollIntoView();
    $("s-day").focus();
  }

  async function save(id, body) {
    const out = $("schedule-result");
    out.className = "";
    out.textContent = "";
    try {
      if (id) await api("PATCH", "/v1/schedules/" + id, body); else await api("POST", "/v1/schedules", body);
      reset();
      out.textContent = t("sch_saved");
      await load();
    } catch (err) {
      showError(err, SLOTS, "schedule-result");
    }
  }

  async function remove(s) {
    if (!(await confirmAction(t("confirm_delete", { id: s.id, kind: kindName(s.kind) }), t("delete")))) return;
    try {
      await api("DELETE", "/v1/schedules/" + s.id);
      $("schedule-result").textContent = t("sch_deleted");
      await load();
    } catch (err) {
      showError(err, SLOTS, "schedule-result");
    }
  }

  // The API's limits, checked here first: a whole day 1–28 and a whole hour 0–23.
  function limits() {
    const whole = (id, lo, hi) => { const v = $(id).value.trim(); return /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi; };
    const bad = [];
    if (!whole("s-day", 1, 28)) bad.push(["s-day-error", "e_invalid_day_of_month"]);
    if (!whole("s-hour", 0, 23)) bad.push(["s-hour-error", "e_invalid_hour"]);
    for (const [slot, key] of bad) {
      $(slot).textContent = t(key);
      $(slot).hidden = false;
      $($(slot).dataset.for).setAttribute("aria-invalid", "true");
    }
    if (bad.length) $($(bad[0][0]).dataset.for).focus();
    return !bad.length;
  }

  function submit(ev) {
    ev.preventDefault();
    clearErrors($("schedule-form"));
    if (!limits()) return;
    const body = {
      kind: $("s-kind").value, format: $("s-format").value, options: Options.read($("s-filter-fields")),
      day_of_month: Number($("s-day").value), hour: Number($("s-hour").value), timezone: $("s-tz").value,
      notify: Object.assign({ emails: emailList($("s-emails").value), in_app: true }, webhook ? { webhook } : {}), enabled: $("s-enabled").checked,
    };
    save(editing, body);
  }

  function render() {
    Request.fillKinds($("s-kind"));
    const kept = Options.read($("s-filter-fields"), true);
    showFilters();
    Options.write($("s-filter-fields"), kept);
    $("schedule-form-title").textContent = editing ? t("sch_edit", { id: editing }) : t("sch_new");
    draw();
  }

  async function start() {
    Request.fillKinds($("s-kind"));
    reset();
    $("s-kind").addEventListener("change", showFilters);
    $("s-format").addEventListener("change", showFilters);
    $("schedule-form").addEventListener("submit", submit);
    $("s-cancel").addEventListener("click", reset);
    await load();
  }

  return { start, load, render, prefill };
})();
