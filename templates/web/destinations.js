// The account's destinations: Slack channels (an incoming webhook), S3 buckets and SFTP
// servers. The list shows each one's name, type and where it delivers on one line (a
// Slack host; s3://bucket/prefix, region and service; user@host:port/directory), with what
// else an admin needs (a role's external id, which its trust policy must require; the
// pinned host key), never a secret: the API never shows one again, nor does the page.
// "Test" sends a test message or writes a probe file and says in the row what was written
// where, or why not (the API's reason, as it gives it); "Edit" changes it (not its type;
// a secret left empty stays); "Delete" asks first. The form's fields and limits are in
// destination_form.js. A server without the key to seal secrets
// (`destinations_unavailable`) says so and the form goes.
// Also here: the "Also send to" boxes of the request and schedule forms (hidden while the
// account has none), "Sends to: Ventas (Slack)" in the lists of exports and schedules, and
// how an export's deliveries went (GET /v1/exports/{id}).
"use strict";
const Destinations = (() => {
  const PICKERS = ["deliver", "s-deliver"]; // each form's boxes: `<p>-field`, `<p>-boxes`
  let items = [], loaded = false, editing = null, busy = false, started = false;
  let loads = 0; // each load is numbered: only the latest answer is drawn
  let said = null; // the message under the form: { key, vars }, said again in another language
  // Destination id -> its last test: { pending } | { ok, written } | { reason, retryable } | { error }.
  const tested = new Map();

  const typeName = (type) => has("dest_type_" + type) ? t("dest_type_" + type) : type;
  const label = (d) => d.name + " (" + typeName(d.type) + ")";
  const find = (id) => items.find((d) => d.id === id);

  // A destination by its id: one deleted since says so (while the list is unknown, its
  // number only).
  const named = (id) => { const d = find(id); return d ? label(d) : loaded ? t("dest_gone", { id }) : "#" + id; };

  // "Envía a: Ventas (Slack)" for an export's or a schedule's `deliver`, or null for none.
  function text(ids) {
    if (!ids || !ids.length) return null;
    return t("deliver_to", { list: ids.map(named).join(", ") });
  }
  const line = (ids) => { const words = text(ids); return words && el("div", { class: "deliver muted" }, words); };

  // How an export's deliveries went, one line each: sent (and what was written where),
  // failed and why, or still pending.
  function delivery(x) {
    const at = x.sent_at ? " · " + fmtInstant(x.sent_at) : "";
    if (x.status === "sent") return (x.written ? t("dv_written", { written: x.written }) : t("dv_sent")) + at;
    if (x.status === "failed") return t("dv_failed", { error: x.error || "" });
    return t("dv_pending") + (x.attempts ? " " + t("dv_attempts", { n: x.attempts }) + (x.error ? ": " + x.error : "") : "");
  }
  function deliveries(list) {
    if (!list.length) return el("div", { class: "deliveries muted" }, t("dv_none"));
    return el("ul", { class: "deliveries" }, ...list.map((x) => el("li", { class: "dv-" + x.status, "data-destination": x.destination },
      named(x.destination) + ": " + delivery(x))));
  }

  // ---- The forms' boxes -------------------------------------------------------------
  const boxes = (prefix) => [...$(prefix + "-boxes").querySelectorAll("input[type=checkbox]")];
  const read = (prefix) => boxes(prefix).filter((b) => b.checked).map((b) => Number(b.value));
  function write(prefix, ids) {
    const want = new Set(ids || []);
    for (const b of boxes(prefix)) b.checked = want.has(Number(b.value));
  }

  // One box per destination, in the list's order; the ticked ones stay ticked.
  function drawPicker(prefix) {
    const box = $(prefix + "-boxes"), kept = read(prefix);
    box.textContent = "";
    for (const d of items) {
      box.append(el("label", { for: prefix + "-" + d.id },
        el("input", { type: "checkbox", id: prefix + "-" + d.id, value: String(d.id) }), " ", label(d)));
    }
    write(prefix, kept);
    $(prefix + "-field").hidden = items.length === 0;
  }

  // ---- The list ---------------------------------------------------------------------
  // A test's outcome in words: a Slack message sent, or a probe file written (where), or
  // why not.
  function outcome(id) {
    const o = tested.get(id), d = find(id), file = !!d && d.type !== "slack";
    if (!o) return ["", ""];
    if (o.pending) return [t(file ? "dest_testing_file" : "dest_testing"), ""];
    if (o.ok) return [o.written ? t("dest_test_written", { written: o.written }) : t("dest_test_ok"), "ok"];
    if (o.error) return [errorText(o.error), "bad"];
    return [t(file ? "dest_test_failed_file" : "dest_test_failed", { reason: o.reason }) + (o.retryable ? " " + t("dest_test_retryable") : ""), "bad"];
  }

  // A test's outcome in its row, written in place so that a screen reader says it.
  function showOutcome(id) {
    const out = document.querySelector("#destination-" + id + " .test-result");
    if (!out) return;
    const [words, cls] = outcome(id);
    out.textContent = words;
    out.className = "test-result" + (cls ? " " + cls : "");
  }

  // Where a destination delivers, on one line: a Slack host; s3://bucket/prefix, its
  // region and service; user@host:port/directory.
  function where(d) {
    if (d.type === "s3") {
      const service = d.endpoint ? (() => { try { return new URL(d.endpoint).host; } catch (_) { return d.endpoint; } })() : null;
      return ["s3://" + d.bucket + "/" + (d.prefix || ""), d.region, service].filter(Boolean).join(" · ");
    }
    if (d.type === "sftp") {
      const host = String(d.host || "").includes(":") ? "[" + d.host + "]" : d.host;
      const dir = !d.directory || d.directory === "." ? "" : d.directory.startsWith("/") ? d.directory : "/" + d.directory;
      return d.user + "@" + host + ":" + (d.port || 22) + dir;
    }
    return d.host || "—";
  }

  // What else an admin needs to see of it (never a secret): the role and the external id
  // its trust policy must require, or the access key's id; how the SFTP user signs in and
  // the host key pinned; the files' names, when not the default.
  function details(d) {
    const div = (cls, ...kids) => el("div", { class: cls }, ...kids);
    if (d.type === "s3" && d.role_arn) {
      return [div("role muted", t("dest_role_is", { arn: d.role_arn })),
        div("external-id", t("dest_external_id") + " ", el("code", {}, d.external_id || "")),
        div("external-id-help muted", t("dest_external_id_help")), files(d)];
    }
    if (d.type === "s3") return [div("access-key muted", t("dest_access_key_is", { id: d.access_key_id || "" })), files(d)];
    if (d.type === "sftp") {
      return [div("auth muted", t(d.auth === "password" ? "dest_with_password" : "dest_with_key")),
        div("host-key muted", t("dest_host_key_is", { key: d.host_key || "" })), files(d)];
    }
    return [];
  }
  const files = (d) => d.file_name && d.file_name !== DestinationForm.DEFAULT_FILE_NAME ? el("div", { class: "file-name muted" }, t("dest_files_named", { template: d.file_name })) : null;

  function row(d) {
    const cell = (key, ...kids) => el("td", { "data-label": t(key) }, el("div", { class: "v" }, ...kids));
    const classed = (cls, key, ...kids) => { const td = cell(key, ...kids); td.className = cls; return td; };
    const test = el("button", { type: "button", class: "test", onclick: () => runTest(d) }, t("dest_test"));
    if (tested.get(d.id) && tested.get(d.id).pending) test.disabled = true;
    const edit = el("button", { type: "button", class: "edit", onclick: () => startEdit(d) }, t("edit"));
    const del = el("button", { type: "button", class: "delete", onclick: () => remove(d) }, t("delete"));
    const [words, cls] = outcome(d.id);
    const result = el("span", { class: "test-result" + (cls ? " " + cls : ""), role: "status" }, words);
    return el("tr", { id: "destination-" + d.id },
      classed("name", "dest_name", d.name), classed("type", "dest_type", typeName(d.type)),
      classed("host", "dest_host", el("span", { class: "where" }, where(d)), ...details(d)),
      classed("actions", "col_actions", test, edit, del, result));
  }

  function draw() {
    const body = $("destination-rows");
    body.textContent = "";
    for (const d of items) body.append(row(d));
    $("no-destinations").hidden = !loaded || items.length > 0;
  }

  // The list as the API has it now: its rows, the forms' boxes, and the lists of exports
  // and schedules when a name they show changed.
  function set(list) {
    const names = (xs) => JSON.stringify(xs.map((d) => [d.id, d.name, d.type]));
    const renamed = !loaded || names(items) !== names(list);
    items = list;
    loaded = true;
    for (const id of [...tested.keys()]) if (!find(id)) tested.delete(id);
    draw();
    PICKERS.forEach(drawPicker);
    if (editing && !find(editing)) reset();
    formTexts();
    if (renamed && started) { Exports.redraw(); Schedules.redraw(); }
  }

  async function load() {
    const mine = ++loads;
    const page = await api("GET", "/v1/destinations");
    if (mine === loads) set(page.items);
  }

  // A form named a destination deleted since it was drawn: the boxes again.
  function stale(err) {
    if (err && err.code === "invalid_destination") load().catch(() => {});
  }

  // ---- Test, edit, delete -----------------------------------------------------------
  async function runTest(d) {
    const button = () => document.querySelector("#destination-" + d.id + " button.test");
    if (button()) button().disabled = true;
    tested.set(d.id, { pending: true });
    showOutcome(d.id);
    try {
      const r = await api("POST", "/v1/destinations/" + d.id + "/test");
      tested.set(d.id, r.delivered ? { ok: true, written: r.written || "" } : { reason: r.reason || "", retryable: !!r.retryable });
    } catch (err) {
      tested.set(d.id, { error: err });
      if (err.code === "destinations_unavailable") unavailable();
      if (err.code === "not_found") load().catch(() => {});
    }
    if (button()) button().disabled = false;
    showOutcome(d.id);
  }

  async function remove(d) {
    if (!(await confirmAction(t("dest_confirm_delete", { name: d.name }), t("delete")))) return;
    try {
      await api("DELETE", "/v1/destinations/" + d.id);
    } catch (err) {
      if (err.code !== "not_found") { showError(err, {}, "destination-result"); return; }
    }
    if (editing === d.id) reset();
    await load().catch(() => {});
    say("dest_deleted", { name: d.name });
  }

  // ---- The form ---------------------------------------------------------------------
  function say(key, vars) {
    const out = $("destination-result");
    ERRORS_SHOWN.delete(out);
    out.className = "";
    said = key ? { key, vars: vars || {} } : null;
    out.textContent = said ? t(key, said.vars) : "";
  }

  // The title, the button and the fields: adding, or editing one (whose type is fixed and
  // whose secret is kept when left empty).
  function formTexts() {
    const d = editing && find(editing);
    $("destination-form-title").textContent = d ? t("dest_edit", { name: d.name }) : t("dest_new");
    $("d-save").textContent = t(d ? "save" : "dest_add");
    $("d-cancel").hidden = !d;
    DestinationForm.show(d || null);
  }

  function reset() {
    editing = null;
    $("destination-form").reset();
    clearErrors($("destination-form"));
    formTexts();
  }

  function startEdit(d) {
    reset();
    say(null);
    editing = d.id;
    DestinationForm.fill(d);
    formTexts();
    $("destination-form").scrollIntoView();
    $("d-name").focus();
  }

  // The server has no key to seal secrets with: it says so, and the form goes.
  function unavailable() {
    if (editing) reset();
    sayError($("destinations-off"), () => t("e_destinations_unavailable"));
    $("destination-form").hidden = true;
  }

  // A change of `id`: the fields that changed (none: nothing is sent). Anything but its
  // name is another place: the last test no longer says anything of it.
  async function change(id, body) {
    if (!Object.keys(body).length) return;
    await api("PATCH", "/v1/destinations/" + id, body);
    if (Object.keys(body).some((k) => k !== "name")) tested.delete(id);
  }

  async function submit(ev) {
    ev.preventDefault();
    if (busy) return;
    clearErrors($("destination-form"));
    say(null);
    const before = editing && find(editing);
    if (!DestinationForm.check(before || null)) return;
    const body = DestinationForm.body(before || null);
    busy = true;
    $("d-save").disabled = true;
    try {
      if (editing) {
        await change(editing, body);
        reset();
        await load().catch(() => {});
        say("dest_saved");
      } else {
        const d = await api("POST", "/v1/destinations", body);
        reset();
        await load().catch(() => {});
        // A role's external id, which its trust policy must require before anything works.
        if (d.external_id) say("dest_added_role", { name: d.name, external_id: d.external_id });
        else say("dest_added", { name: d.name });
      }
    } catch (err) {
      if (err.code === "destinations_unavailable") unavailable();
      else showError(err, DestinationForm.slots(), "destination-result");
      if (err.code === "not_found") load().catch(() => {});
    } finally {
      busy = false;
      $("d-save").disabled = false;
    }
  }

  // Another type or way in: its fields show, and the errors said of the others go.
  function chose(ev) {
    if (!ev.target.matches('input[type="radio"]')) return;
    clearErrors($("destination-form"));
    DestinationForm.show(editing ? find(editing) || null : null);
  }

  // A value changed: its field's error goes, and so does "added", "saved" or "deleted".
  function changed(ev) {
    const slot = ev.target.id && document.querySelector('#destination-form .error[data-for="' + ev.target.id + '"]');
    if (slot && !slot.hidden) unsayError(slot);
    if (said) say(null);
  }

  function render() {
    draw();
    PICKERS.forEach(drawPicker);
    formTexts();
    if (said) $("destination-result").textContent = t(said.key, said.vars);
  }

  // `first`: the answer of GET /v1/destinations fetched with the page's other data, or
  // { error } when it failed (the page works without; the list says why).
  function start(first) {
    $("destination-form").addEventListener("submit", submit);
    $("destination-form").addEventListener("input", changed);
    $("destination-form").addEventListener("change", chose);
    $("d-cancel").addEventListener("click", () => { reset(); say(null); });
    reset();
    if (first && first.items) set(first.items);
    else {
      draw();
      PICKERS.forEach(drawPicker);
      if (first && first.error) sayError($("destination-result"), () => errorText(first.error));
    }
    started = true;
  }

  return { start, load, render, read, write, text, line, deliveries, stale, ready: () => loaded };
})();
