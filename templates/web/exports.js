// "My exports": the list with its filters (state, kind, search by title) and paging, each
// row with its filters, range, state, progress bar, size and dates, and its actions:
// download, cancel (POST …/cancel, which never deletes), delete the file (after a
// confirmation, with a few seconds to undo), run again with other dates and schedule it.
// Under the report: its filters, who asked for it, who is told and the destinations it
// goes to; "See deliveries" (a finished export's) asks GET /v1/exports/{id} how each went.
"use strict";
const Exports = (() => {
  const PAGE = 50;
  const UNDO_SECS = 5;
  const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "expired"];
  let cursor = null; // the next page's cursor
  const deleting = new Map(); // export id -> timer of a delete still to be sent
  const delivered = new Map(); // export id -> its deliveries, once asked for

  // The list's filters as a query: the state, and the kinds the select and the search
  // leave (the search matches titles in the page's language).
  function query() {
    const p = new URLSearchParams({ limit: String(PAGE) });
    const status = $("f-status").value, kind = $("f-kind").value;
    const words = $("f-search").value.trim().toLocaleLowerCase(LOCALE);
    if (status) p.set("status", status);
    let kinds = kind ? [kind] : App.kinds.map((k) => k.kind);
    if (words) kinds = kinds.filter((k) => kindName(k).toLocaleLowerCase(LOCALE).includes(words) || k.includes(words));
    if (kind || words) p.set("kind", kinds.join(","));
    return { params: p, none: (kind || words) && kinds.length === 0 };
  }

  // Whether an export belongs in the list as it is filtered now.
  function shown(e) {
    const { params, none } = query();
    if (none) return false;
    if (params.get("status") && params.get("status") !== e.status) return false;
    return !params.get("kind") || params.get("kind").split(",").includes(e.kind);
  }

  function progressBar(e) {
    const p = e.status === "succeeded" || e.status === "expired" ? 100 : e.progress || 0;
    const fill = el("span", { class: "fill" });
    // Set through the CSSOM: the page's CSP refuses style attributes.
    fill.style.width = p + "%";
    return el("div", { class: "progress st-" + e.status, role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": p, "aria-label": t("col_progress") + " " + e.id }, fill);
  }

  // Who asked for it: a user (by name, else email), or the schedule that made it.
  function asked(e) {
    if (e.requested_by === undefined) return null;
    const who = e.requested_by ? e.requested_by.name || e.requested_by.email || "#" + e.requested_by.id : null;
    const text = who ? t("asked_by", { who }) : e.schedule_id ? t("asked_by_schedule", { id: e.schedule_id }) : null;
    return text && el("div", { class: "asked muted" }, text);
  }

  const cell = (key, ...kids) => el("td", { "data-label": t(key) }, el("div", { class: "v" }, ...kids));

  function failure(e) {
    if (!e.error) return null;
    const key = "f_" + e.error.code;
    return el("div", { class: "reason" }, t("failed_reason", { reason: has(key) ? t(key) : e.error.message }));
  }

  function row(e) {
    const actions = el("div", { class: "v" });
    const active = e.status === "queued" || e.status === "running";
    if (e.status === "succeeded" && deleting.has(e.id)) {
      actions.append(el("span", { class: "muted" }, t("deleting_row")));
    } else if (e.status === "succeeded") {
      actions.append(downloadLink(e.id));
      actions.append(el("button", { type: "button", class: "delete-file", onclick: () => deleteFile(e) }, t("delete_file")));
    }
    if (active) actions.append(el("button", { type: "button", class: "cancel", onclick: () => cancel(e.id) }, t("cancel")));
    if (e.deliver && e.deliver.length && (e.status === "succeeded" || e.status === "expired")) {
      actions.append(el("button", { type: "button", class: "deliveries link", onclick: () => showDeliveries(e.id) }, t("dv_show")));
    }
    actions.append(el("button", { type: "button", class: "again link", onclick: () => Request.prefill(e) }, t("run_again")));
    actions.append(el("button", { type: "button", class: "schedule-this link", onclick: () => Schedules.prefill(e) }, t("schedule_this")));
    const status = cell("col_status", el("span", { class: "st-" + e.status }, t("st_" + e.status)), failure(e));
    const filters = Options.summary(e.options);
    const report = cell("col_report", kindName(e.kind) + " (" + e.format + ")", el("div", { class: "filters muted" }, filters || t("no_filters")),
      asked(e), e.notify ? el("div", { class: "notify muted" }, t("notify_to", { list: notifyText(e.notify, e.schedule_id ? "notify_default_schedule" : "notify_default") })) : null,
      Destinations.line(e.deliver), delivered.has(e.id) ? Destinations.deliveries(delivered.get(e.id)) : null);
    const pct = e.status === "succeeded" || e.status === "expired" ? 100 : e.progress || 0;
    const range = el("span", { class: "range-text" }, fmtRange(e.from, e.to));
    const zone = App.me && e.timezone !== App.me.timezone ? el("div", { class: "muted" }, zoneName(e.timezone)) : null;
    return el("tr", { id: "export-" + e.id, "data-status": e.status },
      cell("col_id", String(e.id)), report, cell("col_range", range, zone), status,
      cell("col_progress", progressBar(e), el("span", { class: "pct" }, " " + pct + " %")),
      cell("col_size", e.file ? fmtBytes(e.file.bytes) : "—",
        e.file && e.file.rows != null ? el("div", { class: "rows muted" }, t("n_rows", { n: new Intl.NumberFormat(LOCALE).format(e.file.rows) })) : null),
      cell("col_created", instant(e.created_at)), cell("col_expires", instant(e.expires_at)),
      el("td", { "data-label": t("col_actions"), class: "actions" }, actions));
  }

  // Puts an export in the list (or takes it out, if the filters no longer show it), newest
  // first; returns the state the page had seen it in before, if any. An unchanged row is
  // left as it is (and the focus in it) unless `redraw`.
  function upsert(e, redraw) {
    const before = App.seen.get(e.id);
    if (e.deliveries && delivered.has(e.id)) delivered.set(e.id, e.deliveries);
    const same = JSON.stringify(App.exports.get(e.id)) === JSON.stringify(e);
    App.seen.set(e.id, e.status);
    App.exports.set(e.id, e);
    const old = $("export-" + e.id), body = $("export-rows");
    if (!shown(e)) { if (old) old.remove(); }
    else if (old && same && !redraw) { /* unchanged */ }
    else if (old) old.replaceWith(row(e));
    else {
      const next = [...body.children].find((r) => Number(r.id.slice(7)) < e.id);
      body.insertBefore(row(e), next || null);
    }
    $("no-exports").hidden = body.children.length > 0;
    return before;
  }

  // A new export of this page: in the list, which shows it whatever it was filtered by.
  function arrived(e) {
    const filters = ["f-status", "f-kind", "f-search"];
    if (filters.some((id) => $(id).value)) {
      for (const id of filters) $(id).value = "";
      load();
    }
    upsert(e);
    $("export-" + e.id).scrollIntoView({ block: "nearest" });
  }

  // Each load is numbered: when filters change quickly, only the latest answer is drawn,
  // whatever order the answers arrive in.
  let loads = 0;
  async function load(more) {
    const mine = ++loads;
    const { params, none } = query();
    if (more && cursor) params.set("cursor", cursor);
    const page = none ? { items: [], next_cursor: null } : await api("GET", "/v1/exports?" + params);
    if (mine !== loads) return;
    if (!more) { $("export-rows").textContent = ""; App.exports.clear(); }
    for (const e of page.items) upsert(e);
    cursor = page.next_cursor;
    $("load-more").hidden = !cursor;
    $("no-exports").textContent = t(none || $("f-status").value || $("f-kind").value || $("f-search").value ? "no_match" : "no_exports");
    $("no-exports").hidden = $("export-rows").children.length > 0;
  }

  // The exports the list shows, fresh: what polling uses when the event stream is down.
  async function refresh() {
    const { params, none } = query();
    if (none) return [];
    const page = await api("GET", "/v1/exports?" + params);
    return page.items;
  }

  async function cancel(id) {
    try {
      upsert(await api("POST", "/v1/exports/" + id + "/cancel"));
      Live.note(t("cancelled_ok", { id }));
    } catch (err) {
      Live.note(errorText(err));
      // The row was stale: show the export as it is.
      if (err.code === "already_finished") upsert(await api("GET", "/v1/exports/" + id));
    }
  }

  // How each delivery of an export went, asked now (again on each click).
  async function showDeliveries(id) {
    try {
      const e = await api("GET", "/v1/exports/" + id);
      delivered.set(id, e.deliveries || []);
      upsert(e, true);
      const again = document.querySelector("#export-" + id + " button.deliveries");
      if (again) again.focus();
    } catch (err) { Live.note(errorText(err)); }
  }

  async function deleteFile(e) {
    const ok = await confirmAction(t("confirm_delete_file", { id: e.id, kind: kindName(e.kind), range: fmtRange(e.from, e.to) }), t("delete_file"));
    if (!ok) return;
    const timer = setTimeout(async () => {
      deleting.delete(e.id);
      undo.remove();
      try { upsert(await api("DELETE", "/v1/exports/" + e.id)); Live.note(t("file_deleted", { id: e.id })); } catch (err) { Live.note(errorText(err)); upsert(App.exports.get(e.id) || e, true); }
    }, UNDO_SECS * 1000);
    deleting.set(e.id, timer);
    upsert(App.exports.get(e.id) || e, true);
    const undo = Live.undoToast(t("deleting", { id: e.id, s: UNDO_SECS }), () => {
      clearTimeout(timer);
      deleting.delete(e.id);
      upsert(App.exports.get(e.id) || e, true);
      Live.note(t("delete_undone"));
    });
  }

  function fillFilters() {
    const s = $("f-status"), k = $("f-kind"), sv = s.value, kv = k.value;
    s.textContent = "";
    s.append(el("option", { value: "" }, t("all_statuses")));
    for (const st of STATUSES) s.append(el("option", { value: st }, t("st_" + st)));
    k.textContent = "";
    k.append(el("option", { value: "" }, t("all_kinds")));
    for (const x of App.kinds) k.append(el("option", { value: x.kind }, kindName(x.kind)));
    s.value = sv;
    k.value = kv;
  }

  // Every row again (the words of another language, a destination renamed).
  function redraw() {
    for (const r of [...$("export-rows").children]) {
      const e = App.exports.get(Number(r.id.slice(7)));
      if (e) r.replaceWith(row(e));
    }
  }

  function render() {
    fillFilters();
    redraw();
    $("no-exports").textContent = t("no_exports");
  }

  function start() {
    fillFilters();
    let typing;
    $("f-status").addEventListener("change", () => load());
    $("f-kind").addEventListener("change", () => load());
    $("f-search").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => load(), 250); });
    $("load-more").addEventListener("click", () => load(true));
  }

  return { start, load, render, redraw, upsert, arrived, refresh };
})();
