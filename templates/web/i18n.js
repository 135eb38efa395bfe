// The page's words in es, en and pt, and the language they are shown in: `?lang=xx` or
// the switcher's choice (remembered), else the account's locale (once known) or the one a
// page names (`data-locale`), else the browser's first of the three, else Spanish, the
// seeds' language. Error codes of the API are words here too (`e_<code>`), so an error
// reads in the page's language; FIELD_OF says which field each concerns.
"use strict";
// Every refusal of the page's Content-Security-Policy (a style attribute, an inline
// script), kept where it can be seen: the browser only logs it.
const CSP_VIOLATIONS = [];
document.addEventListener("securitypolicyviolation", (e) => { CSP_VIOLATIONS.push(e.violatedDirective + " " + (e.blockedURI || "")); });
const I18N = {
  en: {
    schedule_this: "Schedule this", asked_by: "Requested by {who}", asked_by_schedule: "Made by schedule {id}", notify_to: "Notifies: {list}", n_rows: "{n} rows", notify_in_app: "in-app notice", notify_webhook: "webhook {host}", notify_default: "whoever asked (email and in-app notice)", notify_default_schedule: "whoever made the schedule (email and in-app notice)", notify_nobody: "nobody", sch_prefilled: "The form has the report, filters and recipients of export {id} ({kind}): choose the day and hour.",
    app_title: "exportd — reports", sign_in_title: "Sign in", token_label: "API token", sign_in_button: "Sign in",
    sign_in_help: "Paste an API token of an admin of your account, or open the sign-in link your platform gives you.",
    err_invalid_token: "That token is not valid.", err_session_ended: "Your session ended; sign in again.",
    err_cross_site: "Sign in from this page itself.", err_invalid_link: "This sign-in link is not valid.",
    err_expired_link: "This sign-in link has expired; ask for a new one.", err_used_link: "This sign-in link was already used; ask for a new one.",
    admins_only_title: "Admins only", admins_only_text: "Only admins of the account can export reports. Ask an admin of your account for the report you need.",
    language: "Language", sign_out: "Sign out", nav_request: "Request a report", nav_exports: "My exports", nav_schedules: "Schedules",
    kind: "Report", from: "From", to: "To", format: "Format", recipients: "Recipients", emails: "Emails (comma-separated)",
    in_app: "Notify me here", submit_request: "Request report", presets: "Quick ranges",
    preset_last7: "Last 7 days", preset_last30: "Last 30 days", preset_last_month: "Last month", preset_this_month: "This month",
    range_help: "At most {max} days, between {earliest} (your plan keeps data from that day on) and {latest}.",
    range_summary_one: "Chosen: {range} (1 day)", range_summary: "Chosen: {range} ({days} days)",
    partial_today: "The range includes today ({today}), which is not over: today's figures are partial.",
    range_too_long: "The range has {days} days; a report covers at most {max}.", from_after_to: "“From” is after “To”.",
    before_earliest: "Your plan keeps data from {earliest} on.", after_latest: "“To” cannot be after today ({latest}).",
    requested: "Requested: export {id}. It is under My exports.", prefilled: "The form has the filters of export {id} ({kind}): choose the dates.",
    filters: "Filters", any: "Any", yes: "Yes", no: "No",
    opt_sites: "Sites", opt_agents: "Agents", opt_owners: "Owners", opt_mode: "Sessions", opt_abandoned: "Abandoned",
    opt_step: "Step", opt_text: "Text in messages", opt_contact: "Contact (name or phone)", opt_statuses: "Message states",
    opt_templates: "Templates (comma-separated)", opt_queued: "Queued", opt_delimiter: "CSV delimiter",
    ch_all: "All", ch_panel: "Reached the agents", ch_bot: "Stayed with the bot", ch_sent: "Sent", ch_delivered: "Delivered",
    ch_read: "Read", ch_failed: "Failed", ch_pending: "Pending",
    search: "Search", search_hint: "Report name", all_statuses: "All states", all_kinds: "All reports", load_more: "Show older exports",
    col_id: "#", col_report: "Report", col_range: "Range", col_status: "Status", col_progress: "Progress", col_size: "Size",
    col_created: "Requested", col_expires: "File kept until", col_actions: "Actions", download: "Download", cancel: "Cancel",
    delete_file: "Delete file", run_again: "Run again with other dates", no_filters: "No filters",
    no_exports: "No exports yet.", no_match: "No export matches these filters.",
    st_queued: "Queued", st_running: "Running", st_succeeded: "Ready", st_failed: "Failed", st_cancelled: "Cancelled", st_expired: "Expired",
    failed_reason: "Why: {reason}", cancelled_ok: "Export {id} cancelled.",
    confirm_delete_file: "Delete the file of export {id} ({kind}, {range})? Nobody will be able to download it afterwards.",
    keep: "Keep it", deleting: "The file of export {id} will be deleted in {s} s.", deleting_row: "Deleting…", undo: "Undo",
    delete_undone: "Nothing was deleted.", file_deleted: "The file of export {id} was deleted.",
    live: "Live updates on", offline: "Reconnecting…", notifications: "Notifications", unread: "{n} unread",
    mark_all_read: "Mark all read", no_notifications: "Nothing yet.", toast_ready: "Your report is ready: {what}.",
    toast_failed: "Your report failed: {what}.", toast_ready_many: "{n} reports ready", toast_failed_many: "{n} reports failed",
    and_more: "and {n} more", close: "Close",
    sch_new: "New schedule", sch_edit: "Edit schedule {id}", day_of_month: "Day of the month",
    hour: "Hour (0–23, in the chosen time zone)", timezone: "Time zone", enabled: "Enabled", save: "Save", col_when: "When",
    col_next: "Next runs", sch_runs: "Last runs", sch_no_runs: "Not run yet.",
    edit: "Edit", disable: "Turn off", enable: "Turn on", delete: "Delete",
    confirm_delete: "Delete schedule {id} ({kind})? The exports it already made are kept.", no_schedules: "No schedules yet.",
    sch_saved: "Schedule saved.", sch_deleted: "Schedule deleted.",
    cadence: "Frequency", cadence_daily: "Daily", cadence_weekly: "Weekly", cadence_monthly: "Monthly", day_of_week: "Day of the week",
    week_start: "The week starts on", last_day: "Last day", covers: "Covers", covers_closed: "The last full period ({what})",
    covers_days: "The last N days", last_days: "Number of days", closed_daily: "yesterday", closed_weekly: "last week", closed_monthly: "last month",
    last_n_days: "the last {n} days", last_n_days_one: "the day before", covers_what: "covers {what}", feed_what: "feed: the sessions closed since the previous run", feed_what_campaigns: "feed: the message status changes since the previous run", feed_mode: "Feed mode: each run exports what became final since the previous one (sessions closed, message status changes), each exactly once", week_span: "{from} to {to}",
    when_daily: "Every day at {hour} ({tz})", when_weekly: "{every} at {hour} ({tz})", when_monthly: "Every month, on day {day} at {hour} ({tz})",
    when_monthly_last: "On the last day of every month at {hour} ({tz})",
    wd_monday: "Monday", wd_tuesday: "Tuesday", wd_wednesday: "Wednesday", wd_thursday: "Thursday", wd_friday: "Friday", wd_saturday: "Saturday", wd_sunday: "Sunday",
    every_monday: "Every Monday", every_tuesday: "Every Tuesday", every_wednesday: "Every Wednesday", every_thursday: "Every Thursday",
    every_friday: "Every Friday", every_saturday: "Every Saturday", every_sunday: "Every Sunday",
    run_now: "Run now", run_covered: "covered {range}", run_feed: "sessions closed from {from} to {to}", run_feed_campaigns: "status changes from {from} to {to}", run_of_day: "Run of {day}", run_of_month: "Run of {month}", run_made: "Export {id} asked for: {what}.", run_existed: "That run was already made: export {id}, {what}.",
    cancel_edit: "Cancel", disabled: "Off", err_network: "Could not reach exportd; try again.",
    sch_help: "Each run makes and sends the report of the days it covers. “Run now” makes the latest period already over, if it was not made yet.",
    dl_title: "This file cannot be downloaded", dl_open_app: "Open exportd to see your reports",
    err_dl_unauthorized: "Sign in to exportd to download this file.",
    f_attempts_exhausted: "It failed several times in a row; try again later.", f_account_not_found: "The account no longer exists.",
    f_storage_misconfigured: "The file could not be stored; an operator must fix the storage.",
    f_timeout: "It took longer than an attempt may take; try a shorter range.",
    e_already_finished: "This export had already finished; nothing was cancelled or deleted.",
    e_body_too_large: "The request is too large.", e_csrf_failed: "The page's security check failed; reload the page.",
    e_file_expired: "This report's file has expired and was deleted; request the report again.",
    e_idempotency_key_reused: "This request was already sent with other values; send it again.",
    e_invalid_cursor: "The list could not be read further; reload the page.", e_invalid_date: "A date is not valid; use the calendar.",
    e_invalid_day_of_month: "The day of the month must be a whole number from 1 to 28.", e_invalid_email: "Not a valid email address: {value}",
    e_invalid_email_long: "An email address is too long (at most 254 characters).", e_invalid_hour: "The hour must be a whole number from 0 to 23.",
    e_invalid_idempotency_key: "The page sent a request exportd could not read; reload the page.", e_invalid_limit: "The list could not be read; reload the page.",
    e_invalid_link: "This download link is not valid or has expired; download the file from exportd.", e_invalid_option: "This filter is not valid: {option}",
    e_invalid_query: "The page sent a request exportd could not read; reload the page.", e_invalid_status: "Choose a state from the list.",
    e_invalid_webhook: "That webhook address is not allowed.", e_malformed_body: "The page sent a request exportd could not read; reload the page.",
    e_malformed_json: "The page sent a request exportd could not read; reload the page.", e_method_not_allowed: "The page sent a request exportd does not take; reload the page.",
    e_no_such_asset: "A part of the page is missing; reload the page.", e_no_such_route: "The page asked for something exportd does not have; reload the page.",
    e_not_ready: "The file is not ready yet.", e_not_found: "It is not in your account (any more).",
    e_too_many_active_exports: "Your account already has as many exports queued or running as it may; wait for one to finish.",
    e_too_many_recipients: "At most 50 email recipients.", e_too_many_schedules: "Your account has as many schedules as it may; delete one first.",
    e_too_many_streams: "Too many exportd pages are open; close one.", e_unavailable: "exportd cannot reach its database right now; try again in a few seconds.",
    e_unknown_field: "The page sent a field exportd does not know; reload the page.", e_unknown_format: "Choose a format from the list.",
    e_unknown_kind: "Choose a report from the list.", e_unknown_timezone: "Choose a time zone from the list.",
    e_unsupported_media_type: "The page sent a request exportd could not read; reload the page.",
    e_webhook_secret_missing: "The account has no webhook secret yet; an admin must create one first.",
    e_unauthorized: "Your session ended; sign in again.", e_not_admin: "Only admins of the account can do this.",
    e_account_missing: "Your account no longer exists.", e_internal: "Something went wrong on our side; try again later.",
    e_range_too_long: "The range has {days} days; a report covers at most {max}.", e_from_after_to: "“From” is after “To”.",
    e_date_in_future: "“To” cannot be after today ({latest}).", e_beyond_retention: "Your plan keeps data from {earliest} on.",
    e_network: "Could not reach exportd; try again.", e_other: "exportd refused the request ({code}).",
    e_invalid_period: "That run is not one of this schedule's, or it is not due yet.", e_invalid_cadence: "Choose a frequency from the list.",
    e_invalid_day_of_week: "Choose a day of the week from the list.",
    e_invalid_week_start: "Choose the day the week starts on from the list.",
    e_invalid_last_days: "The number of days must be a whole number from 1 to {max}.",
    e_invalid_destination: "Choose destinations of this account (at most 10).",
    e_unknown_destination_type: "That kind of destination is not available; use Slack.",
    e_invalid_destination_name: "The name must be 1 to 100 characters.",
    e_invalid_webhook_url: "Paste the channel's Slack incoming-webhook address (https://hooks.slack.com/…).",
    e_too_many_destinations: "The account has as many destinations as it can keep; delete one first.",
    e_destinations_unavailable: "Destinations are not enabled on this server; ask its operator.",
    e_invalid_feed: "Feed mode is only for the detailed sessions and campaign results reports.",
  },
  es: {
    schedule_this: "Programar", asked_by: "Pedido por {who}", asked_by_schedule: "Hecho por la programación {id}", notify_to: "Avisa a: {list}", n_rows: "{n} filas", notify_in_app: "aviso aquí", notify_webhook: "webhook {host}", notify_default: "quien lo pidió (correo y aviso aquí)", notify_default_schedule: "quien creó la programación (correo y aviso aquí)", notify_nobody: "nadie", sch_prefilled: "El formulario tiene el informe, los filtros y los destinatarios de la exportación {id} ({kind}): elige el día y la hora.",
    app_title: "exportd — informes", sign_in_title: "Iniciar sesión", token_label: "Token de API", sign_in_button: "Entrar",
    sign_in_help: "Pega un token de API de un administrador de tu cuenta, o abre el enlace de acceso que te da tu plataforma.",
    err_invalid_token: "Ese token no es válido.", err_session_ended: "Tu sesión terminó; vuelve a entrar.",
    err_cross_site: "Entra desde esta misma página.", err_invalid_link: "Este enlace de acceso no es válido.",
    err_expired_link: "Este enlace de acceso expiró; pide uno nuevo.", err_used_link: "Este enlace de acceso ya se usó; pide uno nuevo.",
    admins_only_title: "Solo administradores", admins_only_text: "Solo los administradores de la cuenta pueden exportar informes. Pide el informe que necesitas a un administrador de tu cuenta.",
    language: "Idioma", sign_out: "Salir", nav_request: "Pedir un informe", nav_exports: "Mis exportaciones", nav_schedules: "Programaciones",
    kind: "Informe", from: "Desde", to: "Hasta", format: "Formato", recipients: "Destinatarios", emails: "Correos (separados por comas)",
    in_app: "Avisarme aquí", submit_request: "Pedir informe", presets: "Rangos rápidos",
    preset_last7: "Últimos 7 días", preset_last30: "Últimos 30 días", preset_last_month: "Mes pasado", preset_this_month: "Este mes",
    range_help: "Como máximo {max} días, entre el {earliest} (tu plan guarda datos desde ese día) y el {latest}.",
    range_summary_one: "Elegido: {range} (1 día)", range_summary: "Elegido: {range} ({days} días)",
    partial_today: "El rango incluye hoy ({today}), que aún no termina: las cifras de hoy son parciales.",
    range_too_long: "El rango tiene {days} días; un informe cubre como máximo {max}.", from_after_to: "«Desde» es posterior a «Hasta».",
    before_earliest: "Tu plan guarda datos desde el {earliest}.", after_latest: "«Hasta» no puede ser posterior a hoy ({latest}).",
    requested: "Pedido: exportación {id}. Está en Mis exportaciones.", prefilled: "El formulario tiene los filtros de la exportación {id} ({kind}): elige las fechas.",
    filters: "Filtros", any: "Cualquiera", yes: "Sí", no: "No",
    opt_sites: "Sitios", opt_agents: "Agentes", opt_owners: "Propietarios", opt_mode: "Sesiones", opt_abandoned: "Abandonadas",
    opt_step: "Paso", opt_text: "Texto en los mensajes", opt_contact: "Contacto (nombre o teléfono)", opt_statuses: "Estados del mensaje",
    opt_templates: "Plantillas (separadas por comas)", opt_queued: "En cola", opt_delimiter: "Separador CSV",
    ch_all: "Todas", ch_panel: "Llegaron a los agentes", ch_bot: "Se quedaron con el bot", ch_sent: "Enviado", ch_delivered: "Recibido",
    ch_read: "Leído", ch_failed: "Fallido", ch_pending: "Pendiente",
    search: "Buscar", search_hint: "Nombre del informe", all_statuses: "Todos los estados", all_kinds: "Todos los informes", load_more: "Ver exportaciones anteriores",
    col_id: "N.º", col_report: "Informe", col_range: "Rango", col_status: "Estado", col_progress: "Progreso", col_size: "Tamaño",
    col_created: "Pedido", col_expires: "Archivo hasta", col_actions: "Acciones", download: "Descargar", cancel: "Cancelar",
    delete_file: "Borrar archivo", run_again: "Repetir con otras fechas", no_filters: "Sin filtros",
    no_exports: "Aún no hay exportaciones.", no_match: "Ninguna exportación coincide con estos filtros.",
    st_queued: "En cola", st_running: "En curso", st_succeeded: "Listo", st_failed: "Falló", st_cancelled: "Cancelado", st_expired: "Expirado",
    failed_reason: "Motivo: {reason}", cancelled_ok: "Exportación {id} cancelada.",
    confirm_delete_file: "¿Borrar el archivo de la exportación {id} ({kind}, {range})? Nadie podrá descargarlo después.",
    keep: "No borrar", deleting: "El archivo de la exportación {id} se borrará en {s} s.", deleting_row: "Borrando…", undo: "Deshacer",
    delete_undone: "No se borró nada.", file_deleted: "Se borró el archivo de la exportación {id}.",
    live: "En vivo", offline: "Reconectando…", notifications: "Notificaciones", unread: "{n} sin leer",
    mark_all_read: "Marcar todo como leído", no_notifications: "Nada todavía.", toast_ready: "Tu informe está listo: {what}.",
    toast_failed: "Tu informe falló: {what}.", toast_ready_many: "{n} informes listos", toast_failed_many: "{n} informes fallaron",
    and_more: "y {n} más", close: "Cerrar",
    sch_new: "Nueva programación", sch_edit: "Editar programación {id}", day_of_month: "Día del mes",
    hour: "Hora (0–23, en la zona horaria elegida)", timezone: "Zona horaria", enabled: "Activa", save: "Guardar", col_when: "Cuándo",
    col_next: "Próximas ejecuciones", sch_runs: "Últimas ejecuciones", sch_no_runs: "Aún no se ha ejecutado.",
    edit: "Editar", disable: "Desactivar", enable: "Activar", delete: "Borrar",
    confirm_delete: "¿Borrar la programación {id} ({kind})? Las exportaciones que ya generó se conservan.", no_schedules: "Aún no hay programaciones.",
    sch_saved: "Programación guardada.", sch_deleted: "Programación borrada.",
    cadence: "Frecuencia", cadence_daily: "Diaria", cadence_weekly: "Semanal", cadence_monthly: "Mensual", day_of_week: "Día de la semana",
    week_start: "La semana empieza el", last_day: "Último día", covers: "Cubre", covers_closed: "El último período completo ({what})",
    covers_days: "Los últimos N días", last_days: "Número de días", closed_daily: "el día de ayer", closed_weekly: "la semana pasada", closed_monthly: "el mes pasado",
    last_n_days: "los últimos {n} días", last_n_days_one: "el día anterior", covers_what: "cubre {what}", feed_what: "feed: las sesiones cerradas desde la ejecución anterior", feed_what_campaigns: "feed: los cambios de estado de los mensajes desde la ejecución anterior", feed_mode: "Modo feed: cada ejecución exporta lo que quedó final desde la anterior (sesiones cerradas, cambios de estado de mensajes), cada fila una sola vez", week_span: "de {from} a {to}",
    when_daily: "Cada día a las {hour} ({tz})", when_weekly: "{every} a las {hour} ({tz})", when_monthly: "Cada mes, el día {day} a las {hour} ({tz})",
    when_monthly_last: "El último día de cada mes a las {hour} ({tz})",
    wd_monday: "lunes", wd_tuesday: "martes", wd_wednesday: "miércoles", wd_thursday: "jueves", wd_friday: "viernes", wd_saturday: "sábado", wd_sunday: "domingo",
    every_monday: "Cada lunes", every_tuesday: "Cada martes", every_wednesday: "Cada miércoles", every_thursday: "Cada jueves",
    every_friday: "Cada viernes", every_saturday: "Cada sábado", every_sunday: "Cada domingo",
    run_now: "Ejecutar ahora", run_covered: "cubrió {range}", run_feed: "sesiones cerradas del {from} al {to}", run_feed_campaigns: "cambios de estado del {from} al {to}", run_of_day: "Ejecución del {day}", run_of_month: "Ejecución de {month}", run_made: "Exportación {id} pedida: {what}.", run_existed: "Esa ejecución ya estaba hecha: exportación {id}, {what}.",
    cancel_edit: "Cancelar", disabled: "Desactivada", err_network: "No se pudo contactar con exportd; inténtalo de nuevo.",
    sch_help: "Cada ejecución genera y envía el informe de los días que cubre. «Ejecutar ahora» genera el último período ya terminado, si aún no se hizo.",
    dl_title: "Este archivo no se puede descargar", dl_open_app: "Abrir exportd para ver tus informes",
    err_dl_unauthorized: "Entra en exportd para descargar este archivo.",
    f_attempts_exhausted: "Falló varias veces seguidas; inténtalo más tarde.", f_account_not_found: "La cuenta ya no existe.",
    f_storage_misconfigured: "No se pudo guardar el archivo; un operador debe arreglar el almacenamiento.",
    f_timeout: "Tardó más de lo que puede durar un intento; prueba con un rango más corto.",
    e_already_finished: "Esta exportación ya había terminado; no se canceló ni se borró nada.",
    e_body_too_large: "La petición es demasiado grande.", e_csrf_failed: "Falló la comprobación de seguridad de la página; recárgala.",
    e_file_expired: "El archivo de este informe expiró y se borró; vuelve a pedir el informe.",
    e_idempotency_key_reused: "Esta petición ya se envió con otros valores; vuelve a enviarla.",
    e_invalid_cursor: "No se pudo seguir leyendo la lista; recarga la página.", e_invalid_date: "Una fecha no es válida; usa el calendario.",
    e_invalid_day_of_month: "El día del mes debe ser un número entero del 1 al 28.", e_invalid_email: "No es una dirección de correo válida: {value}",
    e_invalid_email_long: "Una dirección de correo es demasiado larga (como máximo 254 caracteres).", e_invalid_hour: "La hora debe ser un número entero del 0 al 23.",
    e_invalid_idempotency_key: "La página envió una petición que exportd no pudo leer; recarga la página.", e_invalid_limit: "No se pudo leer la lista; recarga la página.",
    e_invalid_link: "Este enlace de descarga no es válido o expiró; descarga el archivo desde exportd.", e_invalid_option: "Este filtro no es válido: {option}",
    e_invalid_query: "La página envió una petición que exportd no pudo leer; recarga la página.", e_invalid_status: "Elige un estado de la lista.",
    e_invalid_webhook: "Esa dirección de webhook no está permitida.", e_malformed_body: "La página envió una petición que exportd no pudo leer; recarga la página.",
    e_malformed_json: "La página envió una petición que exportd no pudo leer; recarga la página.", e_method_not_allowed: "La página envió una petición que exportd no acepta; recarga la página.",
    e_no_such_asset: "Falta una parte de la página; recárgala.", e_no_such_route: "La página pidió algo que exportd no tiene; recárgala.",
    e_not_ready: "El archivo aún no está listo.", e_not_found: "No está (o ya no está) en tu cuenta.",
    e_too_many_active_exports: "Tu cuenta ya tiene todas las exportaciones en cola o en curso que puede tener; espera a que termine una.",
    e_too_many_recipients: "Como máximo 50 destinatarios de correo.", e_too_many_schedules: "Tu cuenta tiene todas las programaciones que puede tener; borra una primero.",
    e_too_many_streams: "Hay demasiadas páginas de exportd abiertas; cierra una.", e_unavailable: "exportd no puede contactar con su base de datos ahora; inténtalo en unos segundos.",
    e_unknown_field: "La página envió un campo que exportd no conoce; recarga la página.", e_unknown_format: "Elige un formato de la lista.",
    e_unknown_kind: "Elige un informe de la lista.", e_unknown_timezone: "Elige una zona horaria de la lista.",
    e_unsupported_media_type: "La página envió una petición que exportd no pudo leer; recarga la página.",
    e_webhook_secret_missing: "La cuenta aún no tiene secreto de webhook; un administrador debe crearlo primero.",
    e_unauthorized: "Tu sesión terminó; vuelve a entrar.", e_not_admin: "Solo los administradores de la cuenta pueden hacer esto.",
    e_account_missing: "Tu cuenta ya no existe.", e_internal: "Algo falló de nuestro lado; inténtalo más tarde.",
    e_range_too_long: "El rango tiene {days} días; un informe cubre como máximo {max}.", e_from_after_to: "«Desde» es posterior a «Hasta».",
    e_date_in_future: "«Hasta» no puede ser posterior a hoy ({latest}).", e_beyond_retention: "Tu plan guarda datos desde el {earliest}.",
    e_network: "No se pudo contactar con exportd; inténtalo de nuevo.", e_other: "exportd rechazó la petición ({code}).",
    e_invalid_period: "Esa ejecución no es de esta programación, o aún no toca.", e_invalid_cadence: "Elige una frecuencia de la lista.",
    e_invalid_day_of_week: "Elige un día de la semana de la lista.",
    e_invalid_week_start: "Elige de la lista el día en que empieza la semana.",
    e_invalid_last_days: "El número de días debe ser un entero del 1 al {max}.",
    e_invalid_destination: "Elige destinos de esta cuenta (como máximo 10).",
    e_unknown_destination_type: "Ese tipo de destino no está disponible; usa Slack.",
    e_invalid_destination_name: "El nombre debe tener de 1 a 100 caracteres.",
    e_invalid_webhook_url: "Pega la dirección del webhook entrante de Slack del canal (https://hooks.slack.com/…).",
    e_too_many_destinations: "La cuenta ya tiene todos los destinos que puede guardar; borra uno primero.",
    e_destinations_unavailable: "Los destinos no están activos en este servidor; consulta a quien lo opera.",
    e_invalid_feed: "El modo feed es solo para el análisis de sesiones detallado y el resultado de las campañas.",
  },
  pt: {
    schedule_this: "Agendar", asked_by: "Pedido por {who}", asked_by_schedule: "Feito pelo agendamento {id}", notify_to: "Avisa: {list}", n_rows: "{n} linhas", notify_in_app: "aviso aqui", notify_webhook: "webhook {host}", notify_default: "quem pediu (e-mail e aviso aqui)", notify_default_schedule: "quem criou o agendamento (e-mail e aviso aqui)", notify_nobody: "ninguém", sch_prefilled: "O formulário tem o relatório, os filtros e os destinatários da exportação {id} ({kind}): escolha o dia e a hora.",
    app_title: "exportd — relatórios", sign_in_title: "Entrar", token_label: "Token de API", sign_in_button: "Entrar",
    sign_in_help: "Cole um token de API de um administrador da sua conta, ou abra o link de acesso que a sua plataforma fornece.",
    err_invalid_token: "Esse token não é válido.", err_session_ended: "Sua sessão terminou; entre de novo.",
    err_cross_site: "Entre a partir desta própria página.", err_invalid_link: "Este link de acesso não é válido.",
    err_expired_link: "Este link de acesso expirou; peça um novo.", err_used_link: "Este link de acesso já foi usado; peça um novo.",
    admins_only_title: "Somente administradores", admins_only_text: "Somente administradores da conta podem exportar relatórios. Peça o relatório de que precisa a um administrador da sua conta.",
    language: "Idioma", sign_out: "Sair", nav_request: "Pedir um relatório", nav_exports: "Minhas exportações", nav_schedules: "Agendamentos",
    kind: "Relatório", from: "De", to: "Até", format: "Formato", recipients: "Destinatários", emails: "E-mails (separados por vírgulas)",
    in_app: "Avisar-me aqui", submit_request: "Pedir relatório", presets: "Intervalos rápidos",
    preset_last7: "Últimos 7 dias", preset_last30: "Últimos 30 dias", preset_last_month: "Mês passado", preset_this_month: "Este mês",
    range_help: "No máximo {max} dias, entre {earliest} (seu plano guarda dados desde esse dia) e {latest}.",
    range_summary_one: "Escolhido: {range} (1 dia)", range_summary: "Escolhido: {range} ({days} dias)",
    partial_today: "O intervalo inclui hoje ({today}), que ainda não terminou: os números de hoje são parciais.",
    range_too_long: "O intervalo tem {days} dias; um relatório cobre no máximo {max}.", from_after_to: "“De” é depois de “Até”.",
    before_earliest: "Seu plano guarda dados desde {earliest}.", after_latest: "“Até” não pode ser depois de hoje ({latest}).",
    requested: "Pedido: exportação {id}. Está em Minhas exportações.", prefilled: "O formulário tem os filtros da exportação {id} ({kind}): escolha as datas.",
    filters: "Filtros", any: "Qualquer", yes: "Sim", no: "Não",
    opt_sites: "Sites", opt_agents: "Agentes", opt_owners: "Responsáveis", opt_mode: "Sessões", opt_abandoned: "Abandonadas",
    opt_step: "Etapa", opt_text: "Texto nas mensagens", opt_contact: "Contato (nome ou telefone)", opt_statuses: "Estados da mensagem",
    opt_templates: "Modelos (separados por vírgulas)", opt_queued: "Na fila", opt_delimiter: "Separador CSV",
    ch_all: "Todas", ch_panel: "Chegaram aos agentes", ch_bot: "Ficaram com o bot", ch_sent: "Enviada", ch_delivered: "Recebida",
    ch_read: "Lida", ch_failed: "Falhou", ch_pending: "Pendente",
    search: "Buscar", search_hint: "Nome do relatório", all_statuses: "Todos os estados", all_kinds: "Todos os relatórios", load_more: "Ver exportações anteriores",
    col_id: "N.º", col_report: "Relatório", col_range: "Intervalo", col_status: "Estado", col_progress: "Progresso", col_size: "Tamanho",
    col_created: "Pedido", col_expires: "Arquivo até", col_actions: "Ações", download: "Baixar", cancel: "Cancelar",
    delete_file: "Apagar arquivo", run_again: "Repetir com outras datas", no_filters: "Sem filtros",
    no_exports: "Ainda não há exportações.", no_match: "Nenhuma exportação corresponde a estes filtros.",
    st_queued: "Na fila", st_running: "Em andamento", st_succeeded: "Pronto", st_failed: "Falhou", st_cancelled: "Cancelado", st_expired: "Expirado",
    failed_reason: "Motivo: {reason}", cancelled_ok: "Exportação {id} cancelada.",
    confirm_delete_file: "Apagar o arquivo da exportação {id} ({kind}, {range})? Ninguém poderá baixá-lo depois.",
    keep: "Não apagar", deleting: "O arquivo da exportação {id} será apagado em {s} s.", deleting_row: "Apagando…", undo: "Desfazer",
    delete_undone: "Nada foi apagado.", file_deleted: "O arquivo da exportação {id} foi apagado.",
    live: "Ao vivo", offline: "Reconectando…", notifications: "Notificações", unread: "{n} não lidas",
    mark_all_read: "Marcar tudo como lido", no_notifications: "Nada ainda.", toast_ready: "Seu relatório está pronto: {what}.",
    toast_failed: "Seu relatório falhou: {what}.", toast_ready_many: "{n} relatórios prontos", toast_failed_many: "{n} relatórios falharam",
    and_more: "e mais {n}", close: "Fechar",
    sch_new: "Novo agendamento", sch_edit: "Editar agendamento {id}", day_of_month: "Dia do mês",
    hour: "Hora (0–23, no fuso horário escolhido)", timezone: "Fuso horário", enabled: "Ativo", save: "Salvar", col_when: "Quando",
    col_next: "Próximas execuções", sch_runs: "Últimas execuções", sch_no_runs: "Ainda não foi executado.",
    edit: "Editar", disable: "Desativar", enable: "Ativar", delete: "Apagar",
    confirm_delete: "Apagar o agendamento {id} ({kind})? As exportações que ele já gerou são mantidas.", no_schedules: "Ainda não há agendamentos.",
    sch_saved: "Agendamento salvo.", sch_deleted: "Agendamento apagado.",
    cadence: "Frequência", cadence_daily: "Diária", cadence_weekly: "Semanal", cadence_monthly: "Mensal", day_of_week: "Dia da semana",
    week_start: "A semana começa em", last_day: "Último dia", covers: "Cobre", covers_closed: "O último período completo ({what})",
    covers_days: "Os últimos N dias", last_days: "Número de dias", closed_daily: "o dia de ontem", closed_weekly: "a semana passada", closed_monthly: "o mês passado",
    last_n_days: "os últimos {n} dias", last_n_days_one: "o dia anterior", covers_what: "cobre {what}", feed_what: "feed: as sessões encerradas desde a execução anterior", feed_what_campaigns: "feed: as mudanças de status das mensagens desde a execução anterior", feed_mode: "Modo feed: cada execução exporta o que ficou final desde a anterior (sessões encerradas, mudanças de status de mensagens), cada linha uma única vez", week_span: "de {from} a {to}",
    when_daily: "Todo dia às {hour} ({tz})", when_weekly: "{every} às {hour} ({tz})", when_monthly: "Todo mês, no dia {day} às {hour} ({tz})",
    when_monthly_last: "No último dia de cada mês às {hour} ({tz})",
    wd_monday: "segunda-feira", wd_tuesday: "terça-feira", wd_wednesday: "quarta-feira", wd_thursday: "quinta-feira", wd_friday: "sexta-feira", wd_saturday: "sábado", wd_sunday: "domingo",
    every_monday: "Toda segunda-feira", every_tuesday: "Toda terça-feira", every_wednesday: "Toda quarta-feira", every_thursday: "Toda quinta-feira",
    every_friday: "Toda sexta-feira", every_saturday: "Todo sábado", every_sunday: "Todo domingo",
    run_now: "Executar agora", run_covered: "cobriu {range}", run_feed: "sessões encerradas de {from} a {to}", run_feed_campaigns: "mudanças de status de {from} a {to}", run_of_day: "Execução de {day}", run_of_month: "Execução de {month}", run_made: "Exportação {id} pedida: {what}.", run_existed: "Essa execução já tinha sido feita: exportação {id}, {what}.",
    cancel_edit: "Cancelar", disabled: "Desativado", err_network: "Não foi possível falar com o exportd; tente de novo.",
    sch_help: "Cada execução gera e envia o relatório dos dias que cobre. “Executar agora” gera o último período já terminado, se ainda não foi feito.",
    dl_title: "Este arquivo não pode ser baixado", dl_open_app: "Abrir o exportd para ver seus relatórios",
    err_dl_unauthorized: "Entre no exportd para baixar este arquivo.",
    f_attempts_exhausted: "Falhou várias vezes seguidas; tente mais tarde.", f_account_not_found: "A conta não existe mais.",
    f_storage_misconfigured: "Não foi possível guardar o arquivo; um operador precisa corrigir o armazenamento.",
    f_timeout: "Demorou mais do que uma tentativa pode durar; tente um intervalo menor.",
    e_already_finished: "Esta exportação já tinha terminado; nada foi cancelado nem apagado.",
    e_body_too_large: "O pedido é grande demais.", e_csrf_failed: "A verificação de segurança da página falhou; recarregue a página.",
    e_file_expired: "O arquivo deste relatório expirou e foi apagado; peça o relatório de novo.",
    e_idempotency_key_reused: "Este pedido já foi enviado com outros valores; envie-o de novo.",
    e_invalid_cursor: "Não foi possível continuar lendo a lista; recarregue a página.", e_invalid_date: "Uma data não é válida; use o calendário.",
    e_invalid_day_of_month: "O dia do mês deve ser um número inteiro de 1 a 28.", e_invalid_email: "Não é um endereço de e-mail válido: {value}",
    e_invalid_email_long: "Um endereço de e-mail é longo demais (no máximo 254 caracteres).", e_invalid_hour: "A hora deve ser um número inteiro de 0 a 23.",
    e_invalid_idempotency_key: "A página enviou um pedido que o exportd não conseguiu ler; recarregue a página.", e_invalid_limit: "Não foi possível ler a lista; recarregue a página.",
    e_invalid_link: "Este link de download não é válido ou expirou; baixe o arquivo pelo exportd.", e_invalid_option: "Este filtro não é válido: {option}",
    e_invalid_query: "A página enviou um pedido que o exportd não conseguiu ler; recarregue a página.", e_invalid_status: "Escolha um estado da lista.",
    e_invalid_webhook: "Esse endereço de webhook não é permitido.", e_malformed_body: "A página enviou um pedido que o exportd não conseguiu ler; recarregue a página.",
    e_malformed_json: "A página enviou um pedido que o exportd não conseguiu ler; recarregue a página.", e_method_not_allowed: "A página enviou um pedido que o exportd não aceita; recarregue a página.",
    e_no_such_asset: "Falta uma parte da página; recarregue-a.", e_no_such_route: "A página pediu algo que o exportd não tem; recarregue-a.",
    e_not_ready: "O arquivo ainda não está pronto.", e_not_found: "Não está (ou não está mais) na sua conta.",
    e_too_many_active_exports: "Sua conta já tem todas as exportações na fila ou em andamento que pode ter; espere uma terminar.",
    e_too_many_recipients: "No máximo 50 destinatários de e-mail.", e_too_many_schedules: "Sua conta tem todos os agendamentos que pode ter; apague um primeiro.",
    e_too_many_streams: "Há páginas demais do exportd abertas; feche uma.", e_unavailable: "O exportd não consegue falar com o banco de dados agora; tente em alguns segundos.",
    e_unknown_field: "A página enviou um campo que o exportd não conhece; recarregue a página.", e_unknown_format: "Escolha um formato da lista.",
    e_unknown_kind: "Escolha um relatório da lista.", e_unknown_timezone: "Escolha um fuso horário da lista.",
    e_unsupported_media_type: "A página enviou um pedido que o exportd não conseguiu ler; recarregue a página.",
    e_webhook_secret_missing: "A conta ainda não tem segredo de webhook; um administrador precisa criá-lo primeiro.",
    e_unauthorized: "Sua sessão terminou; entre de novo.", e_not_admin: "Somente administradores da conta podem fazer isto.",
    e_account_missing: "Sua conta não existe mais.", e_internal: "Algo falhou do nosso lado; tente mais tarde.",
    e_range_too_long: "O intervalo tem {days} dias; um relatório cobre no máximo {max}.", e_from_after_to: "“De” é depois de “Até”.",
    e_date_in_future: "“Até” não pode ser depois de hoje ({latest}).", e_beyond_retention: "Seu plano guarda dados desde {earliest}.",
    e_network: "Não foi possível falar com o exportd; tente de novo.", e_other: "O exportd recusou o pedido ({code}).",
    e_invalid_period: "Essa execução não é deste agendamento, ou ainda não é devida.", e_invalid_cadence: "Escolha uma frequência da lista.",
    e_invalid_day_of_week: "Escolha um dia da semana da lista.",
    e_invalid_week_start: "Escolha da lista o dia em que a semana começa.",
    e_invalid_last_days: "O número de dias deve ser um inteiro de 1 a {max}.",
    e_invalid_destination: "Escolha destinos desta conta (no máximo 10).",
    e_unknown_destination_type: "Esse tipo de destino não está disponível; use o Slack.",
    e_invalid_destination_name: "O nome deve ter de 1 a 100 caracteres.",
    e_invalid_webhook_url: "Cole o endereço do webhook de entrada do Slack do canal (https://hooks.slack.com/…).",
    e_too_many_destinations: "A conta já tem todos os destinos que pode guardar; apague um primeiro.",
    e_destinations_unavailable: "Os destinos não estão ativos neste servidor; fale com quem o opera.",
    e_invalid_feed: "O modo feed é só para a análise de sessões detalhada e o resultado das campanhas.",
  },
};

// The field of a form each API error concerns; the others show under the form.
const FIELD_OF = {
  invalid_email: "emails", too_many_recipients: "emails", invalid_webhook: "emails", webhook_secret_missing: "emails",
  range_too_long: "range", from_after_to: "range", date_in_future: "range", beyond_retention: "range", invalid_date: "range",
  invalid_option: "filters", unknown_kind: "kind", unknown_format: "format", unknown_timezone: "tz",
  invalid_day_of_month: "day", invalid_hour: "hour", invalid_cadence: "cadence", invalid_day_of_week: "weekday",
  invalid_week_start: "week_start", invalid_last_days: "last_days", invalid_feed: "feed",
};

const LANG_KEY = "exportd.lang";
const remember = (l) => { try { localStorage.setItem(LANG_KEY, l); } catch (e) { /* private mode: this page only */ } };

// The language asked for explicitly: `?lang=xx` (remembered), else the switcher's last
// choice; null when neither.
function chosenLocale() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked && I18N[asked]) { remember(asked); return asked; }
  let stored = null;
  try { stored = localStorage.getItem(LANG_KEY); } catch (e) { /* none */ }
  return stored && I18N[stored] ? stored : null;
}

let LOCALE = chosenLocale() || (I18N[document.documentElement.dataset.locale] && document.documentElement.dataset.locale) ||
  (navigator.languages || [navigator.language || "es"]).map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => I18N[l]) || "es";

function setLocale(l) {
  if (I18N[l]) LOCALE = l;
  document.documentElement.lang = LOCALE;
  translate(document);
}

const has = (key) => !!(I18N[LOCALE] && I18N[LOCALE][key]) || !!I18N.en[key];

function t(key, vars) {
  let s = (I18N[LOCALE] && I18N[LOCALE][key]) || I18N.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

function translate(root) {
  root.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
  root.querySelectorAll("[data-i18n-label]").forEach((e) => { e.setAttribute("aria-label", t(e.dataset.i18nLabel)); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((e) => { e.setAttribute("placeholder", t(e.dataset.i18nPlaceholder)); });
  root.querySelectorAll("[data-lang-switch]").forEach((e) => { e.value = LOCALE; });
  // A page's error code in words: the sign-in page's, or a download link's (`dl_<code>`,
  // in the API's words unless the link has its own).
  root.querySelectorAll("[data-error]").forEach((e) => {
    const code = e.dataset.error;
    if (!code) return;
    const own = "err_" + code, api = "e_" + code.replace(/^dl_/, "");
    e.textContent = has(own) ? t(own) : has(api) ? t(api) : e.textContent;
    e.hidden = false;
  });
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
}

document.addEventListener("DOMContentLoaded", () => {
  setLocale(LOCALE);
  document.querySelectorAll("[data-lang-switch]").forEach((s) => s.addEventListener("change", () => {
    remember(s.value);
    setLocale(s.value);
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) { url.searchParams.set("lang", s.value); history.replaceState(null, "", url); }
    document.dispatchEvent(new Event("localechange"));
  }));
});
