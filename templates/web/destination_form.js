// The destination form's fields, by type: a Slack channel (its webhook address), an S3
// bucket (bucket, region, prefix, an S3-compatible service's address, and an IAM role, which
// exportd assumes with an external id it makes, or an access key) or an SFTP server (host,
// port, user, the host key's SHA256 fingerprint, directory, and a private key or password);
// S3 and SFTP also take the files' name template. Only the chosen type's fields show; the
// type is fixed once made. The API's limits are checked here before sending, with the same
// numbers; its refusals name their field (FIELD_OF, i18n.js) and show under it. A secret
// (webhook address, secret key, private key, password) is never shown again: left empty on
// an edit, the one kept stays, unless the way in changed (a role to a key, a key to a
// password), which needs a new one. destinations.js sends what `body` gives.
"use strict";
const DestinationForm = (() => {
  const TYPES = ["slack", "s3", "sftp"];
  // The API's field (FIELD_OF) -> its error slot; `dest_credentials` goes to the type's.
  const SLOTS = {
    dest_name: "d-name-error", dest_url: "d-url-error", dest_bucket: "d-bucket-error", dest_region: "d-region-error",
    dest_prefix: "d-prefix-error", dest_endpoint: "d-endpoint-error", dest_role_arn: "d-role-arn-error",
    dest_access_key_id: "d-access-key-id-error", dest_secret_access_key: "d-secret-access-key-error",
    dest_sftp_host: "d-host-error", dest_port: "d-port-error", dest_user: "d-user-error", dest_host_key: "d-host-key-error",
    dest_directory: "d-directory-error", dest_private_key: "d-private-key-error", dest_password: "d-password-error",
    dest_file_name: "d-file-name-error",
  };
  const MAX_NAME = 100, MAX_URL = 2048, MAX_PREFIX = 512, MAX_DIRECTORY = 1024, MAX_FILE_NAME = 200;
  const MAX_PRIVATE_KEY = 16 * 1024, MAX_PASSWORD = 1024;
  const DEFAULTS = { region: "us-east-1", port: 22, directory: ".", file_name: "{kind}_{from}_{to}_{id}.{ext}" };
  const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
  const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, REGION = /^[a-z0-9-]{1,32}$/;
  const ROLE_ARN = /^arn:aws[^:]*:iam::\d{12}:role\/.+$/, ACCESS_KEY_ID = /^[A-Za-z0-9]{16,128}$/;
  const SECRET_ACCESS_KEY = /^[\x21-\x7e]{1,128}$/, USER = /^[A-Za-z0-9._@-]{1,64}$/;
  const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  const HOST_KEY = /(?:^|\s)(SHA256:[A-Za-z0-9+/]{43})(?:\s|$)/, PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
  // The text fields shown again on an edit: element id -> the view's field.
  const SHOWN = {
    "d-bucket": "bucket", "d-region": "region", "d-prefix": "prefix", "d-endpoint": "endpoint", "d-role-arn": "role_arn",
    "d-access-key-id": "access_key_id", "d-host": "host", "d-port": "port", "d-user": "user", "d-host-key": "host_key",
    "d-directory": "directory", "d-file-name": "file_name",
  };

  const bytes = (s) => new TextEncoder().encode(s).length;
  const val = (id) => $(id).value.trim();
  const chosen = (name) => { const r = document.querySelector('#destination-form input[name="' + name + '"]:checked'); return r ? r.value : ""; };
  const type = () => chosen("d-type") || "slack";
  const s3Auth = () => chosen("d-s3-auth");
  const sftpAuth = () => chosen("d-sftp-auth");
  const slots = () => Object.assign({ dest_credentials: type() === "sftp" ? "d-sftp-auth-error" : "d-s3-auth-error" }, SLOTS);

  // ---- What shows -------------------------------------------------------------------
  // Only the chosen type's fields, and of them the chosen way in; the type is fixed on an
  // edit (`d`, the destination edited, or null).
  function show(d) {
    const ty = type();
    for (const x of TYPES) $("d-" + x + "-fields").hidden = x !== ty;
    $("d-file-fields").hidden = ty === "slack";
    $("d-role-fields").hidden = s3Auth() !== "role";
    $("d-key-fields").hidden = s3Auth() !== "key";
    $("d-private-key-fields").hidden = sftpAuth() !== "key";
    $("d-password-fields").hidden = sftpAuth() !== "password";
    document.querySelectorAll('#destination-form input[name="d-type"]').forEach((r) => { r.disabled = !!d; });
    $("d-type-help").hidden = !d;
    helps(d);
  }

  // The helps that depend on adding or editing: a secret kept when left empty (if the way
  // in is the one it had), and the external id of the role edited.
  function helps(d) {
    const secret = (keep) => t(keep ? "dest_secret_keep" : "dest_secret_help");
    $("d-url-help").textContent = t(d ? "dest_url_keep" : "dest_url_help");
    $("d-secret-access-key-help").textContent = secret(d && d.access_key_id);
    $("d-private-key-help").textContent = t("dest_private_key_help") + " " + secret(d && d.auth === "key");
    $("d-password-help").textContent = secret(d && d.auth === "password");
    $("d-role-arn-help").textContent = t("dest_role_arn_help") + " " +
      (d && d.external_id ? t("dest_external_id_is", { id: d.external_id }) : t("dest_external_id_later"));
  }

  // The form for editing `d`: its type, its settings (never a secret) and its way in.
  function fill(d) {
    const radio = $("d-type-" + d.type);
    if (radio) radio.checked = true;
    $("d-name").value = d.name;
    if (d.type !== "slack") for (const [id, key] of Object.entries(SHOWN)) $(id).value = d[key] == null ? "" : String(d[key]);
    $("d-s3-auth-" + (d.access_key_id ? "key" : "role")).checked = true;
    $("d-sftp-auth-" + (d.auth === "password" ? "password" : "key")).checked = true;
    show(d);
  }

  // ---- The API's limits ---------------------------------------------------------------
  function webAddress(url, base) {
    try {
      const u = new URL(url);
      return (u.protocol === "https:" || u.protocol === "http:") && !!u.hostname &&
        (!base || (!u.username && !u.password && u.pathname === "/" && !u.search));
    } catch (_) { return false; }
  }
  const pathOk = (p, max) => bytes(p) <= max && !CONTROL.test(p) && !p.split("/").includes("..") && !p.includes("\\");
  function hostOk(h) {
    const bare = h.replace(/^\[+/, "").replace(/\]+$/, "");
    const named = bare.length >= 1 && bare.length <= 253 && bare.split(".").every((l) => LABEL.test(l));
    return named || (bare.includes(":") && /^[0-9A-Fa-f:.]+$/.test(bare));
  }
  function fileNameOk(f) {
    const rest = ["{kind}", "{from}", "{to}", "{id}", "{ext}"].reduce((s, p) => s.split(p).join(""), f);
    return bytes(f) <= MAX_FILE_NAME && f.includes("{id}") && !f.startsWith(".") && /^[A-Za-z0-9._-]*$/.test(rest);
  }
  // "256 SHA256:… root@host (ED25519)", as ssh-keygen -lf prints it, is taken for its
  // fingerprint.
  function hostKey() {
    const m = HOST_KEY.exec(val("d-host-key"));
    if (m) $("d-host-key").value = m[1];
    return m ? m[1] : null;
  }

  function checkSlack(d, no) {
    const url = val("d-url");
    if (!url) { if (!d) no("d-url-error", "dest_url_missing"); }
    else if (bytes(url) > MAX_URL) no("d-url-error", "dest_url_long");
    else if (!webAddress(url)) no("d-url-error", "dest_url_bad");
  }

  function checkS3(d, no) {
    const bucket = val("d-bucket"), region = val("d-region"), endpoint = val("d-endpoint");
    if (!BUCKET.test(bucket) || bucket.includes("..")) no("d-bucket-error", "e_invalid_bucket");
    if (region && !REGION.test(region)) no("d-region-error", "e_invalid_region");
    if (!pathOk(val("d-prefix"), MAX_PREFIX)) no("d-prefix-error", "e_invalid_prefix");
    if (endpoint && (bytes(endpoint) > MAX_URL || !webAddress(endpoint, true))) no("d-endpoint-error", "e_invalid_endpoint");
    if (s3Auth() === "role") {
      if (!ROLE_ARN.test(val("d-role-arn")) || bytes(val("d-role-arn")) > MAX_URL) no("d-role-arn-error", "e_invalid_role_arn");
      return;
    }
    const id = val("d-access-key-id"), key = val("d-secret-access-key");
    if (!ACCESS_KEY_ID.test(id)) no("d-access-key-id-error", "e_invalid_access_key_id");
    // A new key (or a key instead of a role) needs its secret; the same key keeps its own.
    if (key && !SECRET_ACCESS_KEY.test(key)) no("d-secret-access-key-error", "e_invalid_secret_access_key");
    if (!key && (!d || d.access_key_id !== id)) no("d-secret-access-key-error", "dest_secret_access_key_missing");
  }

  function checkSftp(d, no) {
    const port = val("d-port"), key = $("d-private-key").value, password = $("d-password").value;
    if (!hostOk(val("d-host"))) no("d-host-error", "e_invalid_host");
    if ($("d-port").validity.badInput || (port && !(/^\d{1,5}$/.test(port) && +port >= 1 && +port <= 65535))) no("d-port-error", "e_invalid_port");
    if (!USER.test(val("d-user"))) no("d-user-error", "e_invalid_user");
    if (!hostKey()) no("d-host-key-error", "e_invalid_host_key");
    if (!pathOk(val("d-directory"), MAX_DIRECTORY)) no("d-directory-error", "e_invalid_directory");
    // A secret left empty is kept only if the way in is the one it had.
    const kept = d && d.auth === sftpAuth();
    if (sftpAuth() === "key") {
      if (!key.trim()) { if (!kept) no("d-private-key-error", "dest_private_key_missing"); }
      else if (bytes(key) > MAX_PRIVATE_KEY || !PRIVATE_KEY.test(key)) no("d-private-key-error", "e_invalid_private_key");
    } else if (!password) { if (!kept) no("d-password-error", "dest_password_missing"); }
    else if (bytes(password) > MAX_PASSWORD) no("d-password-error", "e_invalid_password");
  }

  const CHECKS = { slack: checkSlack, s3: checkS3, sftp: checkSftp };

  // Checks the form (for a new destination, or `d` edited); says each refusal under its
  // field and focuses the first. Whether a host may be reached is the server's to say.
  function check(d) {
    const bad = [], no = (slot, key) => bad.push([slot, key]);
    const name = val("d-name"), chars = [...name].length;
    if (chars < 1 || chars > MAX_NAME || CONTROL.test(name)) no("d-name-error", "e_invalid_destination_name");
    CHECKS[type()](d, no);
    if (type() !== "slack" && val("d-file-name") && !fileNameOk(val("d-file-name"))) no("d-file-name-error", "e_invalid_file_name");
    for (const [slot, key] of bad) sayError($(slot), () => t(key));
    if (bad.length && $(bad[0][0]).dataset.for) $($(bad[0][0]).dataset.for).focus();
    return !bad.length;
  }

  // ---- What is sent -------------------------------------------------------------------
  // The body of the create (`d` null: every field given, the type too) or of the change
  // of `d` (only what changed; an empty field with a default is that default, and an
  // empty prefix or endpoint clears it).
  function body(d) {
    const out = {}, ty = type();
    const field = (key, value) => {
      if (!d) { if (value !== "") out[key] = value; return; }
      const now = value === "" && DEFAULTS[key] !== undefined ? DEFAULTS[key] : value;
      const was = d[key] == null ? (DEFAULTS[key] !== undefined ? DEFAULTS[key] : "") : d[key];
      if (now !== was) out[key] = now;
    };
    if (!d) out.type = ty;
    field("name", val("d-name"));
    if (ty === "slack") { if (val("d-url")) out.webhook_url = val("d-url"); return out; }
    if (ty === "s3") s3Body(field, out, d);
    else sftpBody(field, out);
    field("file_name", val("d-file-name"));
    return out;
  }

  function s3Body(field, out, d) {
    ["bucket", "region", "prefix", "endpoint"].forEach((k) => field(k, val("d-" + k)));
    if (s3Auth() === "role") { field("role_arn", val("d-role-arn")); return; }
    const id = val("d-access-key-id"), key = val("d-secret-access-key");
    if (!d || d.access_key_id !== id) out.access_key_id = id;
    if (key) out.secret_access_key = key;
  }

  function sftpBody(field, out) {
    ["host", "user", "directory"].forEach((k) => field(k, val("d-" + k)));
    field("port", val("d-port") === "" ? "" : Number(val("d-port")));
    field("host_key", hostKey() || val("d-host-key"));
    const key = $("d-private-key").value, password = $("d-password").value;
    if (sftpAuth() === "key" && key.trim()) out.private_key = key;
    if (sftpAuth() === "password" && password) out.password = password;
  }

  return { show, fill, check, body, slots, type, DEFAULT_FILE_NAME: DEFAULTS.file_name };
})();
