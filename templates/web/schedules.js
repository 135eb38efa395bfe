// The page's schedules: list, create, edit, disable and delete monthly exports, with the
// next run shown in the schedule's own timezone.
"use strict";
const Schedules = (() => {
  let editing = null;
  const nextRun = (s) => new Date(s.next_run_at).toLocaleString(LOCALE, { timeZone: s.timezone, weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }) + " (" + s.timezone + ")";

  function row(s) {
    const toggle = el("button", { type: "button", class: "toggle", onclick: () => save(s.id, { enabled: !s.enabled }) }, t(s.enabled ? "disable" : "enable"));
    const edit = el("button", { type: "button", class: "edit", onclick: () => startEdit(s) }, t("edit"));
    const del = el("button", { type: "button", class: "delete", onclick: () => remove(s) }, t("delete"));
    return el("tr", { id: "schedule-" + s.id },
      el("td", {}, String(s.id)), el("td", {}, kindName(s.kind)), el("td", {}, s.format),
      el("td", {}, t("monthly_at", { day: s.day_of_month, hour: String(s.hour).padStart(2, "0") })),
      el("td", { class: "next" }, s.enabled ? nextRun(s) : "—"), el("td", {}, t(s.enabled ? "enabled" : "disabled")),
      el("td", {}, edit, toggle, del));
  }

  async function load() {
    const list = await api("GET", "/v1/schedules");
    const body = $("schedule-rows");
    body.textContent = "";
    for (const s of list.items) body.append(row(s));
    $("no-schedules").hidden = list.items.length > 0;
  }

  function reset() {
    editing = null;
    $("schedule-form").reset();
    $("s-tz").value = App.me.timezone;
    if (App.me.email) $("s-emails").value = App.me.email;
    $("schedule-form-title").textContent = t("sch_new");
    $("s-cancel").hidden = true;
  }

  function startEdit(s) {
    editing = s.id;
    $("s-kind").value = s.kind;
    $("s-format").value = s.format;
    $("s-day").value = s.day_of_month;
    $("s-hour").value = s.hour;
    $("s-tz").value = s.timezone;
    $("s-emails").value = ((s.notify && s.notify.emails) || []).join(", ");
    $("s-enabled").checked = s.enabled;
    $("schedule-form-title").textContent = t("sch_edit", { id: s.id });
    $("s-cancel").hidden = false;
    $("s-kind").focus();
  }

  async function save(id, body) {
    const out = $("schedule-result");
    out.className = "";
    try {
      if (id) await api("PATCH", "/v1/schedules/" + id, body); else await api("POST", "/v1/schedules", body);
      out.textContent = t("sch_saved");
      reset();
      await load();
    } catch (e) {
      out.className = "error";
      out.textContent = e.message;
    }
  }

  async function remove(s) {
    if (!confirm(t("confirm_delete", { id: s.id }))) return;
    try {
      await api("DELETE", "/v1/schedules/" + s.id);
      $("schedule-result").textContent = t("sch_deleted");
      await load();
    } catch (e) {
      $("schedule-result").textContent = e.message;
    }
  }

  function submit(ev) {
    ev.preventDefault();
    const body = {
      kind: $("s-kind").value, format: $("s-format").value,
      day_of_month: Number($("s-day").value), hour: Number($("s-hour").value), timezone: $("s-tz").value.trim(),
      notify: { emails: emailList($("s-emails").value), in_app: true }, enabled: $("s-enabled").checked,
    };
    save(editing, body);
  }

  async function start() {
    fillKinds($("s-kind"));
    reset();
    $("schedule-form").addEventListener("submit", submit);
    $("s-cancel").addEventListener("click", reset);
    await load();
  }

  return { start, load };
})();
