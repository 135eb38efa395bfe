// Renders /openapi.json as a page: operations by tag, their parameters, bodies and
// responses, then every schema. Compiled into exportd; needs nothing from the internet.
"use strict";
(function () {
  const root = document.getElementById("docs");
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  };
  const refName = (r) => r.split("/").pop();
  const typeOf = (s) => {
    if (!s) return "";
    if (s.$ref) { const n = refName(s.$ref); return el("a", { href: "#schema-" + n }, n); }
    if (s.oneOf || s.anyOf) {
      const span = el("span", {});
      (s.oneOf || s.anyOf).forEach((x, i) => { if (i) span.append(" | "); span.append(typeOf(x)); });
      return span;
    }
    const t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "any");
    if (t.startsWith("array")) { const span = el("span", {}, "array of "); span.append(typeOf(s.items)); return span; }
    return t + (s.format ? " (" + s.format + ")" : "") + (s.enum ? ": " + s.enum.filter((x) => x !== null).join(", ") : "");
  };
  const example = (v) => el("pre", {}, JSON.stringify(v, null, 2));
  function operation(method, path, op) {
    const sec = el("section", { class: "op", id: op.operationId || method + path });
    sec.append(el("h3", {}, el("span", { class: "method " + method }, method.toUpperCase()), " ", el("code", {}, path)));
    if (op.summary) sec.append(el("p", {}, op.summary));
    if (op.description) sec.append(el("p", {}, op.description));
    if (op.security && op.security.some((s) => Object.keys(s).length === 0)) sec.append(el("p", { class: "note" }, "No token needed."));
    if (op.parameters && op.parameters.length) {
      const t = el("table", {}, el("caption", {}, "Parameters"), el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")));
      for (const p of op.parameters) t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in + (p.required ? ", required" : "")), el("td", {}, typeOf(p.schema)), el("td", {}, p.description || "")));
      sec.append(t);
    }
    if (op.requestBody) {
      for (const [ct, c] of Object.entries(op.requestBody.content || {})) {
        const p = el("p", {}, "Body (" + ct + "): ");
        p.append(typeOf(c.schema));
        sec.append(p);
      }
    }
    const t = el("table", {}, el("caption", {}, "Responses"), el("tr", {}, el("th", {}, "status"), el("th", {}, "body"), el("th", {}, "meaning")));
    for (const [code, r] of Object.entries(op.responses || {})) {
      const body = el("td", {});
      for (const c of Object.values(r.content || {})) body.append(typeOf(c.schema));
      t.append(el("tr", {}, el("td", {}, code), body, el("td", {}, r.description || "")));
    }
    sec.append(t);
    return sec;
  }
  function schema(name, s) {
    const sec = el("section", { class: "schema", id: "schema-" + name }, el("h3", {}, name));
    if (s.description) sec.append(el("p", {}, s.description));
    if (s.properties) {
      const req = new Set(s.required || []);
      const t = el("table", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description")));
      for (const [k, p] of Object.entries(s.properties)) t.append(el("tr", {}, el("td", {}, el("code", {}, k), req.has(k) ? " *" : ""), el("td", {}, typeOf(p)), el("td", {}, p.description || "")));
      sec.append(t);
    } else {
      sec.append(el("p", {}, typeOf(s)));
    }
    if (s.example !== undefined) sec.append(el("p", {}, "Example:"), example(s.example));
    return sec;
  }
  fetch("/openapi.json").then((r) => r.json()).then((doc) => {
    root.textContent = "";
    root.append(el("p", {}, doc.info.description || ""), el("p", { class: "note" }, "OpenAPI " + doc.openapi + ", version " + doc.info.version));
    const byTag = new Map((doc.tags || []).map((t) => [t.name, []]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const m of ["get", "post", "patch", "put", "delete"]) {
        if (!item[m]) continue;
        const tag = (item[m].tags || ["other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operation(m, path, item[m]));
      }
    }
    for (const t of doc.tags || []) {
      root.append(el("h2", { id: "tag-" + t.name }, t.name), el("p", {}, t.description || ""), ...byTag.get(t.name));
    }
    root.append(el("h2", { id: "schemas" }, "Schemas"));
    for (const [name, s] of Object.entries((doc.components || {}).schemas || {})) root.append(schema(name, s));
  }).catch((e) => { root.textContent = "Could not load /openapi.json: " + e; });
})();
