// The page's words in es, en and pt. The language is the account's (once known), else the
// browser's first of the three, else Spanish, the seeds' language.
"use strict";
const I18N = {
  en: {
    app_title: "exportd — reports", sign_in_title: "Sign in", token_label: "API token", sign_in_button: "Sign in",
    sign_in_help: "Paste an API token of an admin of your account, or open the sign-in link your platform gives you.",
    err_invalid_token: "That token is not valid.", err_session_ended: "Your session ended; sign in again.",
    err_cross_site: "Sign in from this page itself.", err_invalid_link: "This sign-in link is not valid.",
    err_expired_link: "This sign-in link has expired; ask for a new one.", err_used_link: "This sign-in link was already used; ask for a new one.",
    admins_only_title: "Admins only", admins_only_text: "Only admins of the account can export reports. Ask an admin of your account for the report you need.",
    sign_out: "Sign out", nav_request: "Request a report", nav_exports: "My exports", nav_schedules: "Schedules",
    kind: "Report", from: "From", to: "To", format: "Format", recipients: "Recipients", emails: "Emails (comma-separated)",
    in_app: "Notify me here", submit_request: "Request report",
    range_help: "At most {max} days, between {earliest} (your plan keeps data back to that day) and {latest}.",
    range_too_long: "The range has {days} days; a report covers at most {max}.", from_after_to: "“From” is after “To”.",
    before_earliest: "Your plan keeps data back to {earliest}.", after_latest: "“To” cannot be after today ({latest}).",
    requested: "Requested: export {id}. Follow it under My exports.", filters: "Filters", any: "Any", yes: "Yes", no: "No",
    opt_sites: "Sites", opt_agents: "Agents", opt_owners: "Owners", opt_mode: "Sessions", opt_abandoned: "Abandoned",
    opt_step: "Step", opt_text: "Text in messages", opt_contact: "Contact (name or phone)", opt_statuses: "Message states",
    opt_templates: "Templates (comma-separated)", opt_queued: "Queued", opt_delimiter: "CSV delimiter",
    ch_all: "All", ch_panel: "Reached the agents", ch_bot: "Stayed with the bot", ch_sent: "Sent", ch_delivered: "Delivered",
    ch_read: "Read", ch_failed: "Failed", ch_pending: "Pending",
    col_id: "#", col_report: "Report", col_range: "Range", col_status: "Status", col_progress: "Progress",
    col_created: "Requested", col_expires: "File kept until", col_actions: "Actions", download: "Download", cancel: "Cancel",
    delete_file: "Delete file", no_exports: "No exports yet.", st_queued: "Queued", st_running: "Running",
    st_succeeded: "Ready", st_failed: "Failed", st_cancelled: "Cancelled", st_expired: "Expired", failed_reason: "Why: {reason}",
    live: "Live updates on", offline: "Reconnecting…", notifications: "Notifications", unread: "{n} unread",
    mark_all_read: "Mark all read", no_notifications: "Nothing yet.", toast_ready: "Your report is ready: {kind}.",
    toast_failed: "Your report failed: {kind}.", close: "Close",
    sch_new: "New schedule", sch_edit: "Edit schedule {id}", day_of_month: "Day of the month (1–28)",
    hour: "Hour (0–23, local time)", timezone: "Timezone", enabled: "Enabled", save: "Save", col_when: "When",
    col_next: "Next run", edit: "Edit", disable: "Disable", enable: "Enable", delete: "Delete",
    confirm_delete: "Delete schedule {id}? The exports it made stay.", no_schedules: "No schedules yet.",
    monthly_at: "Every month, day {day} at {hour}:00", sch_saved: "Schedule saved.", sch_deleted: "Schedule deleted.",
    cancel_edit: "Cancel", disabled: "Disabled", err_network: "Could not reach exportd; try again.",
    sch_help: "On that day each month, the previous month's report is made and sent.",
  },
  es: {
    app_title: "exportd — informes", sign_in_title: "Iniciar sesión", token_label: "Token de API", sign_in_button: "Entrar",
    sign_in_help: "Pega un token de API de un administrador de tu cuenta, o abre el enlace de acceso que te da tu plataforma.",
    err_invalid_token: "Ese token no es válido.", err_session_ended: "Tu sesión terminó; vuelve a entrar.",
    err_cross_site: "Entra desde esta misma página.", err_invalid_link: "Este enlace de acceso no es válido.",
    err_expired_link: "Este enlace de acceso expiró; pide uno nuevo.", err_used_link: "Este enlace de acceso ya se usó; pide uno nuevo.",
    admins_only_title: "Solo administradores", admins_only_text: "Solo los administradores de la cuenta pueden exportar informes. Pide el informe que necesitas a un administrador de tu cuenta.",
    sign_out: "Salir", nav_request: "Pedir un informe", nav_exports: "Mis exportaciones", nav_schedules: "Programaciones",
    kind: "Informe", from: "Desde", to: "Hasta", format: "Formato", recipients: "Destinatarios", emails: "Correos (separados por comas)",
    in_app: "Avisarme aquí", submit_request: "Pedir informe",
    range_help: "Como máximo {max} días, entre el {earliest} (tu plan guarda datos hasta ese día) y el {latest}.",
    range_too_long: "El rango tiene {days} días; un informe cubre como máximo {max}.", from_after_to: "«Desde» es posterior a «Hasta».",
    before_earliest: "Tu plan guarda datos hasta el {earliest}.", after_latest: "«Hasta» no puede ser posterior a hoy ({latest}).",
    requested: "Pedido: exportación {id}. Síguela en Mis exportaciones.", filters: "Filtros", any: "Cualquiera", yes: "Sí", no: "No",
    opt_sites: "Sitios", opt_agents: "Agentes", opt_owners: "Propietarios", opt_mode: "Sesiones", opt_abandoned: "Abandonadas",
    opt_step: "Paso", opt_text: "Texto en los mensajes", opt_contact: "Contacto (nombre o teléfono)", opt_statuses: "Estados del mensaje",
    opt_templates: "Plantillas (separadas por comas)", opt_queued: "En cola", opt_delimiter: "Separador CSV",
    ch_all: "Todas", ch_panel: "Llegaron a los agentes", ch_bot: "Se quedaron con el bot", ch_sent: "Enviado", ch_delivered: "Recibido",
    ch_read: "Leído", ch_failed: "Fallido", ch_pending: "Pendiente",
    col_id: "N.º", col_report: "Informe", col_range: "Rango", col_status: "Estado", col_progress: "Progreso",
    col_created: "Pedido", col_expires: "Archivo hasta", col_actions: "Acciones", download: "Descargar", cancel: "Cancelar",
    delete_file: "Borrar archivo", no_exports: "Aún no hay exportaciones.", st_queued: "En cola", st_running: "En curso",
    st_succeeded: "Listo", st_failed: "Falló", st_cancelled: "Cancelado", st_expired: "Expirado", failed_reason: "Motivo: {reason}",
    live: "En vivo", offline: "Reconectando…", notifications: "Notificaciones", unread: "{n} sin leer",
    mark_all_read: "Marcar todo como leído", no_notifications: "Nada todavía.", toast_ready: "Tu informe está listo: {kind}.",
    toast_failed: "Tu informe falló: {kind}.", close: "Cerrar",
    sch_new: "Nueva programación", sch_edit: "Editar programación {id}", day_of_month: "Día del mes (1–28)",
    hour: "Hora (0–23, hora local)", timezone: "Zona horaria", enabled: "Activa", save: "Guardar", col_when: "Cuándo",
    col_next: "Próxima ejecución", edit: "Editar", disable: "Desactivar", enable: "Activar", delete: "Borrar",
    confirm_delete: "¿Borrar la programación {id}? Sus exportaciones se quedan.", no_schedules: "Aún no hay programaciones.",
    monthly_at: "Cada mes, el día {day} a las {hour}:00", sch_saved: "Programación guardada.", sch_deleted: "Programación borrada.",
    cancel_edit: "Cancelar", disabled: "Desactivada", err_network: "No se pudo contactar con exportd; inténtalo de nuevo.",
    sch_help: "Ese día de cada mes se genera y envía el informe del mes anterior.",
  },
  pt: {
    app_title: "exportd — relatórios", sign_in_title: "Entrar", token_label: "Token de API", sign_in_button: "Entrar",
    sign_in_help: "Cole um token de API de um administrador da sua conta, ou abra o link de acesso que a sua plataforma fornece.",
    err_invalid_token: "Esse token não é válido.", err_session_ended: "Sua sessão terminou; entre de novo.",
    err_cross_site: "Entre a partir desta própria página.", err_invalid_link: "Este link de acesso não é válido.",
    err_expired_link: "Este link de acesso expirou; peça um novo.", err_used_link: "Este link de acesso já foi usado; peça um novo.",
    admins_only_title: "Somente administradores", admins_only_text: "Somente administradores da conta podem exportar relatórios. Peça o relatório de que precisa a um administrador da sua conta.",
    sign_out: "Sair", nav_request: "Pedir um relatório", nav_exports: "Minhas exportações", nav_schedules: "Agendamentos",
    kind: "Relatório", from: "De", to: "Até", format: "Formato", recipients: "Destinatários", emails: "E-mails (separados por vírgulas)",
    in_app: "Avisar-me aqui", submit_request: "Pedir relatório",
    range_help: "No máximo {max} dias, entre {earliest} (seu plano guarda dados até esse dia) e {latest}.",
    range_too_long: "O intervalo tem {days} dias; um relatório cobre no máximo {max}.", from_after_to: "“De” é depois de “Até”.",
    before_earliest: "Seu plano guarda dados até {earliest}.", after_latest: "“Até” não pode ser depois de hoje ({latest}).",
    requested: "Pedido: exportação {id}. Acompanhe em Minhas exportações.", filters: "Filtros", any: "Qualquer", yes: "Sim", no: "Não",
    opt_sites: "Sites", opt_agents: "Agentes", opt_owners: "Responsáveis", opt_mode: "Sessões", opt_abandoned: "Abandonadas",
    opt_step: "Etapa", opt_text: "Texto nas mensagens", opt_contact: "Contato (nome ou telefone)", opt_statuses: "Estados da mensagem",
    opt_templates: "Modelos (separados por vírgulas)", opt_queued: "Na fila", opt_delimiter: "Separador CSV",
    ch_all: "Todas", ch_panel: "Chegaram aos agentes", ch_bot: "Ficaram com o bot", ch_sent: "Enviada", ch_delivered: "Recebida",
    ch_read: "Lida", ch_failed: "Falhou", ch_pending: "Pendente",
    col_id: "N.º", col_report: "Relatório", col_range: "Intervalo", col_status: "Estado", col_progress: "Progresso",
    col_created: "Pedido", col_expires: "Arquivo até", col_actions: "Ações", download: "Baixar", cancel: "Cancelar",
    delete_file: "Apagar arquivo", no_exports: "Ainda não há exportações.", st_queued: "Na fila", st_running: "Em andamento",
    st_succeeded: "Pronto", st_failed: "Falhou", st_cancelled: "Cancelado", st_expired: "Expirado", failed_reason: "Motivo: {reason}",
    live: "Ao vivo", offline: "Reconectando…", notifications: "Notificações", unread: "{n} não lidas",
    mark_all_read: "Marcar tudo como lido", no_notifications: "Nada ainda.", toast_ready: "Seu relatório está pronto: {kind}.",
    toast_failed: "Seu relatório falhou: {kind}.", close: "Fechar",
    sch_new: "Novo agendamento", sch_edit: "Editar agendamento {id}", day_of_month: "Dia do mês (1–28)",
    hour: "Hora (0–23, hora local)", timezone: "Fuso horário", enabled: "Ativo", save: "Salvar", col_when: "Quando",
    col_next: "Próxima execução", edit: "Editar", disable: "Desativar", enable: "Ativar", delete: "Apagar",
    confirm_delete: "Apagar o agendamento {id}? As exportações feitas ficam.", no_schedules: "Ainda não há agendamentos.",
    monthly_at: "Todo mês, dia {day} às {hour}:00", sch_saved: "Agendamento salvo.", sch_deleted: "Agendamento apagado.",
    cancel_edit: "Cancelar", disabled: "Desativado", err_network: "Não foi possível falar com o exportd; tente de novo.",
    sch_help: "Nesse dia de cada mês, o relatório do mês anterior é gerado e enviado.",
  },
};

let LOCALE = (navigator.languages || [navigator.language || "es"])
  .map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => I18N[l]) || "es";

function setLocale(l) {
  if (I18N[l]) LOCALE = l;
  document.documentElement.lang = LOCALE;
  translate(document);
}

function t(key, vars) {
  let s = (I18N[LOCALE] && I18N[LOCALE][key]) || I18N.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

function translate(root) {
  root.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
  root.querySelectorAll("[data-i18n-label]").forEach((e) => { e.setAttribute("aria-label", t(e.dataset.i18nLabel)); });
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
}

document.addEventListener("DOMContentLoaded", () => {
  setLocale(LOCALE);
  const err = document.querySelector("[data-error]");
  if (err && err.dataset.error) { err.textContent = t("err_" + err.dataset.error); err.hidden = false; }
});
