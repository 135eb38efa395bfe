// A kind's filters as form fields, built from GET /v1/kinds (the same widgets in the
// request form and the schedule form), read back into an `options` object, filled from
// one (editing a schedule, running an export again), and put in words for a list.
"use strict";
const Options = (() => {
  const label = (name) => t("opt_" + name);
  const choice = (name, c) => (name === "delimiter" ? c : t("ch_" + c));

  function field(o, prefix) {
    const id = prefix + "opt-" + o.name;
    let input;
    if (o.type === "site_ids" || o.type === "user_ids") {
      input = el("select", { id, multiple: true, "data-type": "ids" });
      for (const x of o.type === "site_ids" ? App.me.sites : App.me.users) input.append(el("option", { value: x.id }, x.name));
    } else if (o.type === "choice" || o.type === "choices") {
      input = el("select", { id, multiple: o.type === "choices", "data-type": o.type });
      if (o.type === "choice") input.append(el("option", { value: "" }, t("any")));
      for (const c of o.choices) input.append(el("option", { value: c }, choice(o.name, c)));
    } else if (o.type === "flag") {
      input = el("select", { id, "data-type": "flag" }, el("option", { value: "" }, t("any")), el("option", { value: "true" }, t("yes")), el("option", { value: "false" }, t("no")));
    } else {
      input = el("input", { id, type: "text", maxlength: o.max_chars || 200, "data-type": o.type });
    }
    input.dataset.option = o.name;
    const wrap = el("div", { class: "field", "data-field": o.name }, el("label", { for: id }, label(o.name)), input);
    if (o.name === "delimiter") wrap.classList.add("csv-only");
    return wrap;
  }

  // Builds the fields of `kind` in `box`, keeping the values of options the new kind
  // shares with what was there.
  function render(box, kind, prefix) {
    const kept = read(box, true);
    box.textContent = "";
    const info = kindInfo(kind);
    for (const o of info ? info.options : []) box.append(field(o, prefix));
    write(box, kept);
  }

  function inputs(box) { return [...box.querySelectorAll("[data-option]")].filter((e) => e.tagName !== "DIV"); }

  function read(box, all) {
    const options = {};
    for (const input of inputs(box)) {
      if (!all && input.closest(".field").hidden) continue;
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
    }
    return options;
  }

  function write(box, options) {
    for (const input of inputs(box)) {
      const v = options[input.dataset.option];
      if (input.multiple) {
        const want = new Set((v || []).map(String));
        for (const o of input.options) o.selected = want.has(o.value);
      } else if (Array.isArray(v)) {
        input.value = v.join(", ");
      } else {
        input.value = v == null ? "" : String(v);
      }
    }
  }

  // "Sitios: Web, Ventas · Sesiones: Llegaron a los agentes"; empty for none.
  function summary(options) {
    const names = (list, ids) => ids.map((id) => { const x = list.find((s) => s.id === id); return x ? x.name : "#" + id; }).join(", ");
    const parts = [];
    for (const [name, v] of Object.entries(options || {})) {
      let text;
      if (name === "sites") text = names(App.me.sites, v);
      else if (name === "agents" || name === "owners") text = names(App.me.users, v);
      else if (typeof v === "boolean") text = t(v ? "yes" : "no");
      else if (Array.isArray(v)) text = v.map((c) => (name === "statuses" ? choice(name, c) : c)).join(", ");
      else text = name === "mode" || name === "delimiter" ? choice(name, v) : v;
      parts.push(label(name) + ": " + text);
    }
    return parts.join(" · ");
  }

  return { render, read, write, summary };
})();
