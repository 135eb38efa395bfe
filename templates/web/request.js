// The request form: the kind with its one-line description and its filters, the dates
// with presets (today marked partial), the format, who is told and the destinations the
// file also goes to. Each request carries
// an Idempotency-Key, kept until the form changes, so a double click makes one export.
"use strict";
const Request = (() => {
  const SLOTS = { kind: "kind-error", range: "range-error", filters: "filters-error", format: "format-error", emails: "emails-error", deliver: "deliver-error" };
  let pending = null; // { body, key }: the request last sent and its key

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  }

  function fillKinds(select) {
    const was = select.value;
    select.textContent = "";
    for (const k of App.kinds) select.append(el("option", { value: k.kind }, kindName(k.kind)));
    if (was) select.value = was;
  }

  const format = () => document.querySelector('input[name="format"]:checked').value;

  function showFilters() {
    Options.render($("filter-fields"), $("kind").value, "");
    $("kind-about").textContent = kindAbout($("kind").value);
    toggleCsvOnly();
  }

  function toggleCsvOnly() {
    const csv = format() === "csv";
    document.querySelectorAll("#filter-fields .csv-only").forEach((e) => { e.hidden = !csv; });
    // The fieldset shows only when the kind has a filter for this format.
    $("filters").hidden = ![...$("filter-fields").children].some((c) => !c.hidden);
  }

  // The presets, as [from, to] ending at most today (the account's today).
  function presets() {
    const today = App.me.latest_day, month = today.slice(0, 8) + "01";
    const lastMonthEnd = addDays(month, -1);
    return {
      last7: [addDays(today, -6), today], last30: [addDays(today, -29), today],
      last_month: [lastMonthEnd.slice(0, 8) + "01", lastMonthEnd], this_month: [month, today],
    };
  }

  function applyPreset(name) {
    const [from, to] = presets()[name];
    $("from").value = from < App.me.earliest_day ? App.me.earliest_day : from;
    $("to").value = to;
    checkRange();
  }

  function checkRange() {
    const from = $("from").value, to = $("to").value, me = App.me, err = $("range-error");
    let msg = "";
    if (from && to) {
      if (from > to) msg = t("from_after_to");
      else if (days(from, to) > me.max_range_days) msg = t("range_too_long", { days: days(from, to), max: me.max_range_days });
      else if (from < me.earliest_day) msg = t("before_earliest", { earliest: fmtDay(me.earliest_day) });
      else if (to > me.latest_day) msg = t("after_latest", { latest: fmtDay(me.latest_day) });
    }
    err.textContent = msg;
    err.hidden = !msg;
    $("from").setAttribute("aria-invalid", msg ? "true" : "false");
    $("to").setAttribute("aria-invalid", msg ? "true" : "false");
    const p = presets();
    document.querySelectorAll("[data-preset]").forEach((b) => {
      const [f, tt] = p[b.dataset.preset];
      b.setAttribute("aria-pressed", String(to === tt && (from === f || (f < me.earliest_day && from === me.earliest_day))));
    });
    const n = from && to ? days(from, to) : 0;
    $("range-summary").textContent = n > 0 && !msg ? t(n === 1 ? "range_summary_one" : "range_summary", { range: fmtRange(from, to), days: n }) : "";
    const partial = $("range-partial");
    partial.hidden = !(to && to === me.latest_day && !msg);
    partial.textContent = t("partial_today", { today: fmtDay(me.latest_day) });
    $("submit-request").disabled = !!msg || !from || !to;
    return !msg && !!from && !!to;
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = $("request-form"), out = $("request-result");
    clearErrors(form);
    if (!checkRange()) return;
    const body = {
      kind: $("kind").value, format: format(), from: $("from").value, to: $("to").value,
      options: Options.read($("filter-fields")),
      notify: { emails: emailList($("emails").value), in_app: $("in-app").checked },
    };
    const deliver = Destinations.read("deliver");
    if (deliver.length) body.deliver = deliver;
    const json = JSON.stringify(body);
    if (!pending || pending.body !== json) pending = { body: json, key: newKey() };
    out.className = "";
    out.textContent = "";
    try {
      const e = await api("POST", "/v1/exports", body, { "Idempotency-Key": pending.key });
      out.textContent = t("requested", { id: e.id });
      Exports.arrived(e);
    } catch (err) {
      // A request that may not have arrived keeps its key, so sending it again is safe.
      if (err.status > 0 && err.status < 500) pending = null;
      showError(err, SLOTS, "request-result");
      Destinations.stale(err);
    }
  }

  // Fills the form from an export, dates aside: "run again with other dates".
  function prefill(e) {
    $("kind").value = e.kind;
    document.querySelector(`input[name="format"][value="${e.format}"]`).checked = true;
    showFilters();
    Options.write($("filter-fields"), e.options || {});
    toggleCsvOnly();
    pending = null;
    const out = $("request-result");
    out.className = "";
    out.textContent = t("prefilled", { id: e.id, kind: kindName(e.kind) });
    $("request").scrollIntoView();
    $("from").focus();
  }

  function render() {
    fillKinds($("kind"));
    const kept = Options.read($("filter-fields"), true);
    showFilters();
    Options.write($("filter-fields"), kept);
    const me = App.me;
    $("range-help").textContent = t("range_help", { max: me.max_range_days, earliest: fmtDay(me.earliest_day), latest: fmtDay(me.latest_day) });
    checkRange();
  }

  function start() {
    const me = App.me;
    fillKinds($("kind"));
    for (const id of ["from", "to"]) { $(id).min = me.earliest_day; $(id).max = me.latest_day; }
    applyPreset("last30");
    if (me.email) $("emails").value = me.email;
    render();
    $("kind").addEventListener("change", showFilters);
    $("from").addEventListener("input", checkRange);
    $("to").addEventListener("input", checkRange);
    document.querySelectorAll("[data-preset]").forEach((b) => b.addEventListener("click", () => applyPreset(b.dataset.preset)));
    document.querySelectorAll('input[name="format"]').forEach((r) => r.addEventListener("change", toggleCsvOnly));
    const form = $("request-form");
    form.addEventListener("input", () => { pending = null; });
    form.addEventListener("change", () => { pending = null; });
    form.addEventListener("submit", submit);
  }

  return { start, render, prefill, fillKinds, newKey };
})();
