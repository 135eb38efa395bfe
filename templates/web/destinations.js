// The account's destinations: today Slack channels, each an incoming webhook. The list
// shows each one's name, type and host (its address is a secret: the API never shows it
// again, nor does the page); "Test" sends a test message and says in the row whether it
// arrived, or why not (the API's reason, as it gives it); "Edit" renames it or replaces its
// address (left empty, the address kept stays); "Delete" asks first. The form checks the
// API's limits before sending (a name of 1–100 characters, an http(s) address of at most
// 2048 bytes; whether the host may be posted to is the server's to say). A server without
// the key to seal addresses (`destinations_unavailable`) says so and the form goes.
// Also here: the "Also send to" boxes of the request and schedule forms (hidden while the
// account has none) and "Sends to: Ventas (Slack)" in the lists of exports and schedules.
"use strict";
const Destinations = (() => {
  const SLOTS = { dest_name: "d-name-error", dest_url: "d-url-error" };
  const MAX_NAME = 100, MAX_URL = 2048;
  const PICKERS = ["deliver", "s-deliver"]; // each form's boxes: `<p>-field`, `<p>-boxes`
  let items = [], loaded = false, editing = null, busy = false, started = false;
  let loads = 0; // each load is numbered: only the latest answer is drawn
  let said = null; // the message under the form: { key, vars }, said again in another language
  // Destination id -> its last test: { pending } | { ok } | { reason, retryable } | { error }.
  const tested = new Map();

  const typeName = (type) => has("dest_type_" + type) ? t("dest_type_" + type) : type;
  const label = (d) => d.name + " (" + typeName(d.type) + ")";
  const find = (id) => items.find((d) => d.id === id);

  // "Envía a: Ventas (Slack)" for an export's or a schedule's `deliver`, or null for none;
  // one deleted since says so (while the list is unknown, its number only).
  function text(ids) {
    if (!ids || !ids.length) return null;
    const names = ids.map((id) => { const d = find(id); return d ? label(d) : loaded ? t("dest_gone", { id }) : "#" + id; });
    return t("deliver_to", { list: names.join(", ") });
  }
  const line = (ids) => { const words = text(ids); return words && el("div", { class: "deliver muted" }, words); };

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
  function outcome(id) {
    const o = tested.get(id);
    if (!o) return ["", ""];
    if (o.pending) return [t("dest_testing"), ""];
    if (o.ok) return [t("dest_test_ok"), "ok"];
    if (o.error) return [errorText(o.error), "bad"];
    return [t("dest_test_failed", { reason: o.reason }) + (o.retryable ? " " + t("dest_test_retryable") : ""), "bad"];
  }

  // A test's outcome in its row, written in place so that a screen reader says it.
  function showOutcome(id) {
    const out = document.querySelector("#destination-" + id + " .test-result");
    if (!out) return;
    const [words, cls] = outcome(id);
    out.textContent = words;
    out.className = "test-result" + (cls ? " " + cls : "");
  }

  function row(d) {
    const cell = (key, ...kids) => el("td", { "data-label": t(key) }, el("div", { class: "v" }, ...kids));
    const named = (cls, key, ...kids) => { const td = cell(key, ...kids); td.className = cls; return td; };
    const test = el("button", { type: "button", class: "test", onclick: () => runTest(d) }, t("dest_test"));
    if (tested.get(d.id) && tested.get(d.id).pending) test.disabled = true;
    const edit = el("button", { type: "button", class: "edit", onclick: () => startEdit(d) }, t("edit"));
    const del = el("button", { type: "button", class: "delete", onclick: () => remove(d) }, t("delete"));
    const [words, cls] = outcome(d.id);
    const result = el("span", { class: "test-result" + (cls ? " " + cls : ""), role: "status" }, words);
    return el("tr", { id: "destination-" + d.id },
      named("name", "dest_name", d.name), named("type", "dest_type", typeName(d.type)),
      named("host", "dest_host", d.host || "—"), named("actions", "col_actions", test, edit, del, result));
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
      tested.set(d.id, r.delivered ? { ok: true } : { reason: r.reason || "", retryable: !!r.retryable });
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

  // The title, the button and the address's help: adding, or editing one (whose address
  // is kept when left empty).
  function formTexts() {
    const d = editing && find(editing);
    $("destination-form-title").textContent = d ? t("dest_edit", { name: d.name }) : t("dest_new");
    $("d-save").textContent = t(d ? "save" : "dest_add");
    $("d-url-help").textContent = t(d ? "dest_url_keep" : "dest_url_help");
    $("d-cancel").hidden = !d;
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
    $("d-name").value = d.name;
    formTexts();
    $("destination-form").scrollIntoView();
    $("d-name").focus();
  }

  // The server has no key to seal addresses with: it says so, and the form goes.
  function unavailable() {
    if (editing) reset();
    sayError($("destinations-off"), () => t("e_destinations_unavailable"));
    $("destination-form").hidden = true;
  }

  // The API's limits, checked here first. Any http(s) address passes: whether its host
  // may be posted to (https, a public address) is the server's to say.
  function limits() {
    const name = $("d-name").value.trim(), url = $("d-url").value.trim(), bad = [];
    const chars = [...name].length;
    if (chars < 1 || chars > MAX_NAME || /[\u0000-\u001f\u007f-\u009f]/.test(name)) bad.push(["d-name-error", "e_invalid_destination_name"]);
    if (!url) {
      if (!editing) bad.push(["d-url-error", "dest_url_missing"]);
    } else if (new TextEncoder().encode(url).length > MAX_URL) {
      bad.push(["d-url-error", "dest_url_long"]);
    } else {
      let web = false;
      try { const u = new URL(url); web = (u.protocol === "https:" || u.protocol === "http:") && !!u.hostname; } catch (_) { /* not a URL */ }
      if (!web) bad.push(["d-url-error", "dest_url_bad"]);
    }
    for (const [slot, key] of bad) sayError($(slot), () => t(key));
    if (bad.length) $($(bad[0][0]).dataset.for).focus();
    return !bad.length;
  }

  async function submit(ev) {
    ev.preventDefault();
    if (busy) return;
    clearErrors($("destination-form"));
    say(null);
    if (!limits()) return;
    const name = $("d-name").value.trim(), url = $("d-url").value.trim();
    busy = true;
    $("d-save").disabled = true;
    try {
      if (editing) {
        const d = find(editing), body = {};
        if (!d || d.name !== name) body.name = name;
        if (url) body.webhook_url = url;
        if (Object.keys(body).length) await api("PATCH", "/v1/destinations/" + editing, body);
        // A new address is another channel: the last test no longer says anything of it.
        if (url) tested.delete(editing);
        reset();
        await load().catch(() => {});
        say("dest_saved");
      } else {
        const d = await api("POST", "/v1/destinations", { type: "slack", name, webhook_url: url });
        reset();
        await load().catch(() => {});
        say("dest_added", { name: d.name });
      }
    } catch (err) {
      if (err.code === "destinations_unavailable") unavailable();
      else showError(err, SLOTS, "destination-result");
      if (err.code === "not_found") load().catch(() => {});
    } finally {
      busy = false;
      $("d-save").disabled = false;
    }
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

  return { start, load, render, read, write, text, line, stale, ready: () => loaded };
})();
