//! Daily, weekly and monthly schedules in the page: the form shows only the fields of the
//! cadence chosen and sends only those (a weekly one on Thursdays covering the last 7 days;
//! a daily one switched to the last day of the month; a weekly one switched to daily, its
//! weekday cleared); each row says its rhythm in words; "Ejecutar ahora" makes the latest
//! run already due once, and its run shows in the history with the days it covered. A
//! detailed sessions schedule may be a feed (the box shows for that kind only, and then
//! "covers" does not): its row says so, and its runs their interval of close instants and
//! rows; switched to another kind, it is a feed no more.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Page, shot};
use crate::harness::{TestAccount, TestApp, poll};

/// The controls of the schedule form's timing in view, in page order, by id.
const SHOWN: &str = "return [...document.querySelectorAll('#schedule-form .when-fields select, #schedule-form .when-fields input')].filter(e => !e.closest('[hidden]')).map(e => e.id).join(' ')";

/// The schedule form's timing, as its controls hold it: cadence, day of the month,
/// weekday, week start, covers, last days, hour, time zone.
const FORM: &str = "const f = (id) => document.getElementById(id).value; return ['s-cadence', 's-day', 's-weekday', 's-week-start', 's-covers', 's-last-days', 's-hour', 's-tz'].map(f).join(' ')";

/// The words of the choice "the period just closed".
const CLOSED: &str = "return document.getElementById('s-covers').options[0].textContent";

const SAVED: &str =
    "return document.getElementById('schedule-result').textContent === 'Programación guardada.'";

/// A schedule's timing columns, as JSON.
async fn stored(app: &TestApp, id: i64) -> Value {
    sqlx::query_scalar("SELECT json_build_object('cadence', cadence, 'day_of_month', day_of_month, 'day_of_week', day_of_week, 'week_start', week_start, 'last_day', last_day, 'last_days', last_days, 'hour', hour, 'timezone', timezone) FROM schedules WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A schedule's timing as the API shows it.
fn timing(s: &Value) -> Value {
    let fields = [
        "cadence",
        "day_of_month",
        "day_of_week",
        "week_start",
        "last_days",
        "hour",
        "timezone",
    ];
    fields
        .iter()
        .map(|f| (f.to_string(), s[f].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

async fn schedules(app: &TestApp, account: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM schedules WHERE account_id = $1 ORDER BY id")
        .bind(account)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn create(app: &TestApp, acct: &TestAccount, body: Value) -> i64 {
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&acct.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let s: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{s}");
    s["id"].as_i64().unwrap()
}

async fn get(app: &TestApp, acct: &TestAccount, id: i64) -> Value {
    let (status, s) = app
        .get_json(&acct.token, &format!("/v1/schedules/{id}"))
        .await;
    assert_eq!(status, 200, "{s}");
    s
}

/// Picks an option of a select by the words it shows, as an admin would.
async fn choose(page: &Page, id: &str, label: &str) {
    page.c
        .find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("no option {label:?} in #{id}: {e}"));
}

async fn type_in(page: &Page, id: &str, text: &str) {
    let input = page.c.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Waits until a schedule's row says `want` as its rhythm.
async fn words_of(page: &Page, id: i64, want: &str) {
    let script = format!(
        "const r = document.querySelector('#schedule-{id} .when'); return r && r.textContent"
    );
    poll(10, &format!("schedule {id} to say {want:?}"), || async {
        (page.js(&script).await == want).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_weekly_schedule_for_the_last_7_days_made_in_the_form_is_said_in_words() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app
        .account("Semanales", "America/Santiago", "pro", "es")
        .await;
    let page = Page::open(&app, &acct.token).await;

    // A new schedule is monthly: the day of the month shows, the weekday does not.
    assert_eq!(page.js(SHOWN).await, "s-cadence s-day s-hour s-tz s-covers");
    assert_eq!(
        page.js(CLOSED).await,
        "El último período completo (el mes pasado)"
    );

    // Weekly: the weekday and, right after it, the week's first day instead of the day of
    // the month.
    choose(&page, "s-cadence", "Semanal").await;
    assert_eq!(
        page.js(SHOWN).await,
        "s-cadence s-weekday s-week-start s-hour s-tz s-covers"
    );
    assert_eq!(
        page.js(CLOSED).await,
        "El último período completo (la semana pasada)"
    );
    choose(&page, "s-weekday", "jueves").await;
    type_in(&page, "s-hour", "7").await;
    // A rolling window: its days show, the week's first day no longer matters.
    choose(&page, "s-covers", "Los últimos N días").await;
    assert_eq!(
        page.js(SHOWN).await,
        "s-cadence s-weekday s-hour s-tz s-covers s-last-days"
    );

    // Its limit is checked in the page, before anything is sent.
    type_in(&page, "s-last-days", "91").await;
    page.click("#s-save").await;
    let said = page
        .wait(5, "the days' error", "const e = document.getElementById('s-last-days-error'); return !e.hidden && [e.textContent, document.getElementById('s-last-days').getAttribute('aria-invalid')]")
        .await;
    assert_eq!(
        said,
        json!(["El número de días debe ser un entero del 1 al 90.", "true"])
    );
    assert!(
        schedules(&app, acct.id).await.is_empty(),
        "nothing was sent"
    );

    type_in(&page, "s-last-days", "7").await;
    shot(&page.c, "schedule-weekly-form").await;
    page.click("#s-save").await;
    page.wait(10, "the save", SAVED).await;

    let ids = schedules(&app, acct.id).await;
    assert_eq!(ids.len(), 1);
    let id = ids[0];
    assert_eq!(
        stored(&app, id).await,
        json!({"cadence": "weekly", "day_of_month": null, "day_of_week": 4, "week_start": 1, "last_day": false,
               "last_days": 7, "hour": 7, "timezone": "America/Santiago"})
    );
    assert_eq!(
        timing(&get(&app, &acct, id).await),
        json!({"cadence": "weekly", "day_of_month": null, "day_of_week": "thursday", "week_start": "monday",
               "last_days": 7, "hour": 7, "timezone": "America/Santiago"})
    );

    // The row says it, and its next three runs are at 07:00.
    words_of(
        &page,
        id,
        "Cada jueves a las 07:00 (America/Santiago), cubre los últimos 7 días",
    )
    .await;
    let next = format!(
        "return [...document.querySelectorAll('#schedule-{id} .next li')].map(li => li.textContent.includes('07:00'))"
    );
    assert_eq!(page.js(&next).await, json!([true, true, true]));
    shot(&page.c, "schedule-weekly-row").await;

    // Edited again, the form has it back.
    page.click(&format!("#schedule-{id} button.edit")).await;
    assert_eq!(
        page.js(FORM).await,
        "weekly 1 thursday monday days 7 7 America/Santiago"
    );

    page.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daily_schedule_switched_to_the_last_day_of_the_month_drops_its_old_day() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app
        .account("Diarias", "America/Santiago", "pro", "es")
        .await;
    let daily = create(
        &app,
        &acct,
        json!({"kind": "global", "format": "csv", "cadence": "daily", "hour": 6, "timezone": "Europe/Madrid"}),
    )
    .await;
    let weekly = create(
        &app,
        &acct,
        json!({"kind": "global", "format": "xlsx", "cadence": "weekly", "day_of_week": "monday",
               "week_start": "sunday", "hour": 8, "timezone": "Europe/Madrid"}),
    )
    .await;
    let page = Page::open(&app, &acct.token).await;
    words_of(
        &page,
        daily,
        "Cada día a las 06:00 (Europe/Madrid), cubre el día de ayer",
    )
    .await;
    words_of(
        &page,
        weekly,
        "Cada lunes a las 08:00 (Europe/Madrid), cubre la semana pasada (de domingo a sábado)",
    )
    .await;

    // Each fills the form with its own fields.
    page.click(&format!("#schedule-{weekly} button.edit")).await;
    assert_eq!(
        page.js(FORM).await,
        "weekly 1 monday sunday closed 7 8 Europe/Madrid"
    );
    assert_eq!(
        page.js(SHOWN).await,
        "s-cadence s-weekday s-week-start s-hour s-tz s-covers"
    );
    page.click(&format!("#schedule-{daily} button.edit")).await;
    assert_eq!(
        page.js(FORM).await,
        "daily 1 monday monday closed 7 6 Europe/Madrid"
    );
    assert_eq!(page.js(SHOWN).await, "s-cadence s-hour s-tz s-covers");
    assert_eq!(
        page.js(CLOSED).await,
        "El último período completo (el día de ayer)"
    );

    // Daily → monthly, on the last day.
    choose(&page, "s-cadence", "Mensual").await;
    choose(&page, "s-day", "Último día").await;
    page.click("#s-save").await;
    page.wait(10, "the save", SAVED).await;
    assert_eq!(
        timing(&get(&app, &acct, daily).await),
        json!({"cadence": "monthly", "day_of_month": "last", "day_of_week": null, "week_start": "monday",
               "last_days": null, "hour": 6, "timezone": "Europe/Madrid"})
    );
    assert_eq!(
        stored(&app, daily).await,
        json!({"cadence": "monthly", "day_of_month": null, "day_of_week": null, "week_start": 1, "last_day": true,
               "last_days": null, "hour": 6, "timezone": "Europe/Madrid"})
    );
    words_of(
        &page,
        daily,
        "El último día de cada mes a las 06:00 (Europe/Madrid), cubre el mes pasado",
    )
    .await;
    page.click(&format!("#schedule-{daily} button.edit")).await;
    assert_eq!(
        page.js(FORM).await,
        "monthly last monday monday closed 7 6 Europe/Madrid"
    );
    page.click("#s-cancel").await;

    // Weekly → daily: its weekday is cleared, not refused.
    page.click(&format!("#schedule-{weekly} button.edit")).await;
    choose(&page, "s-cadence", "Diaria").await;
    page.click("#s-save").await;
    page.wait(10, "the save", SAVED).await;
    assert_eq!(
        timing(&get(&app, &acct, weekly).await),
        json!({"cadence": "daily", "day_of_month": null, "day_of_week": null, "week_start": "sunday",
               "last_days": null, "hour": 8, "timezone": "Europe/Madrid"})
    );
    words_of(
        &page,
        weekly,
        "Cada día a las 08:00 (Europe/Madrid), cubre el día de ayer",
    )
    .await;

    page.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_now_makes_the_latest_run_already_due_once_and_shows_it_in_the_history() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Ahora", "America/Santiago", "pro", "es").await;
    // Due every day at 00:00 UTC: today's run is already due, and not made.
    let id = create(
        &app,
        &acct,
        json!({"kind": "global", "format": "csv", "cadence": "daily", "hour": 0, "timezone": "UTC"}),
    )
    .await;
    let page = Page::open(&app, &acct.token).await;
    assert_eq!(
        page.js(&format!(
            "return document.querySelector('#schedule-{id} .history').textContent"
        ))
        .await,
        "Aún no se ha ejecutado."
    );

    page.click(&format!("#schedule-{id} button.run-now")).await;
    let made = || async {
        sqlx::query_as::<_, (i64, Option<String>, NaiveDate, NaiveDate)>(
            "SELECT id, period, range_from, range_to FROM exports WHERE schedule_id = $1",
        )
        .bind(id)
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    let (export, period, from, to) = poll(10, "the run's export", || async {
        made().await.into_iter().next()
    })
    .await;
    // The run of today (or of yesterday, right at midnight), covering the day before it.
    let period = period.expect("a run names its period");
    let run_date: NaiveDate = period.parse().expect("a daily period is a date");
    let today = Utc::now().date_naive();
    assert!(
        run_date == today || run_date == today - Duration::days(1),
        "{period}"
    );
    assert_eq!(
        (from, to),
        (run_date - Duration::days(1), run_date - Duration::days(1))
    );

    // The page says which export and which days, lists it, and shows it in the history.
    let toast = page
        .wait(10, "the run's toast", &format!(
            "return [...document.querySelectorAll('#toasts .toast')].map(t => t.textContent).find(s => s.includes('Exportación {export} pedida')) || null"))
        .await;
    let range = page.js(&format!("return fmtRange('{from}', '{to}')")).await;
    assert!(
        toast.as_str().unwrap().contains(range.as_str().unwrap()),
        "{toast} names {range}"
    );
    page.wait(
        10,
        "the export in the list",
        &format!("return !!document.getElementById('export-{export}')"),
    )
    .await;
    let run = page
        .wait(10, "the run in the history", &format!(
            "const li = document.querySelector('#schedule-{id} .history li[data-export]'); return li && [Number(li.dataset.export), li.textContent, li.querySelector('.covered').textContent, fmtDay('{period}')]"))
        .await;
    assert_eq!(run[0], json!(export));
    let (text, covered, day) = (
        run[1].as_str().unwrap(),
        run[2].as_str().unwrap(),
        run[3].as_str().unwrap(),
    );
    let range = range.as_str().unwrap();
    assert!(
        text.starts_with(&format!("Ejecución del {day} · cubrió {range} · En cola")),
        "the run date, the days it covered, then its state: {run}"
    );
    assert_eq!(covered, format!("cubrió {range}"));
    shot(&page.c, "schedule-run-now").await;

    // Again: the same run, not another export.
    page.click(&format!("#schedule-{id} button.run-now")).await;
    page.wait(10, "the second toast", &format!(
        "return [...document.querySelectorAll('#toasts .toast')].some(t => t.textContent.includes('Esa ejecución ya estaba hecha: exportación {export}'))"))
        .await;
    assert_eq!(made().await.len(), 1, "one export per run");
    assert_eq!(
        page.js(&format!(
            "return document.querySelectorAll('#schedule-{id} .history li').length"
        ))
        .await,
        1
    );

    page.close().await;
    app.shutdown().await;
}

/// Whether the feed box is in view, and ticked, and whether "covers" is in view (as drawn,
/// not only as marked).
const FEED_BOX: &str = "const f = document.getElementById('s-feed'); return [f.checkVisibility(), f.checked, document.getElementById('s-covers').checkVisibility()]";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_schedule_made_in_the_form_covers_no_days_and_its_runs_say_their_sessions() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Feeds", "America/Santiago", "pro", "es").await;
    let page = Page::open(&app, &acct.token).await;

    // The global report (the first kind) cannot be a feed: no box.
    assert_eq!(page.js(FEED_BOX).await, json!([false, false, true]));
    choose(&page, "s-kind", "Análisis de sesiones detallado").await;
    assert_eq!(page.js(FEED_BOX).await, json!([true, false, true]));
    choose(&page, "s-cadence", "Diaria").await;
    choose(&page, "s-covers", "Los últimos N días").await;
    assert_eq!(
        page.js(SHOWN).await,
        "s-cadence s-hour s-tz s-covers s-last-days"
    );

    // A feed covers no days: what it covers goes, the days chosen with it.
    page.click("#s-feed").await;
    assert_eq!(page.js(FEED_BOX).await, json!([true, true, false]));
    assert_eq!(page.js(SHOWN).await, "s-cadence s-hour s-tz");
    // Another kind: no box, and "covers" is back.
    choose(&page, "s-kind", "Informe global").await;
    let shown = page.js(FEED_BOX).await;
    assert_eq!((&shown[0], &shown[2]), (&json!(false), &json!(true)));
    assert_eq!(
        page.js(SHOWN).await,
        "s-cadence s-hour s-tz s-covers s-last-days"
    );
    choose(&page, "s-kind", "Análisis de sesiones detallado").await;
    assert_eq!(page.js(FEED_BOX).await, json!([true, true, false]));
    assert_eq!(page.js(SHOWN).await, "s-cadence s-hour s-tz");
    shot(&page.c, "schedule-feed-form").await;
    page.click("#s-save").await;
    page.wait(10, "the save", SAVED).await;

    let ids = schedules(&app, acct.id).await;
    assert_eq!(ids.len(), 1);
    let id = ids[0];
    let (feed, last_days): (bool, Option<i16>) =
        sqlx::query_as("SELECT feed, last_days FROM schedules WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((feed, last_days), (true, None));
    assert_eq!(get(&app, &acct, id).await["feed"], true);
    words_of(
        &page,
        id,
        "Cada día a las 06:00 (America/Santiago), feed: las sesiones cerradas desde la ejecución anterior",
    )
    .await;
    // The form is new again: the box is not ticked.
    assert_eq!(page.js(FEED_BOX).await, json!([false, false, true]));

    // A run: its interval of close instants, in the schedule's zone, and its rows once
    // written.
    page.click(&format!("#schedule-{id} button.run-now")).await;
    let (export, period, from, to) = poll(10, "the run's export", || async {
        sqlx::query_as::<
            _,
            (
                i64,
                Option<String>,
                Option<DateTime<Utc>>,
                Option<DateTime<Utc>>,
            ),
        >("SELECT id, period, feed_from, feed_to FROM exports WHERE schedule_id = $1")
        .bind(id)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
    })
    .await;
    let period = period.expect("a run names its period");
    let (from, to) = (
        from.expect("a feed run has its interval"),
        to.expect("a feed run has its interval"),
    );
    sqlx::query("UPDATE exports SET file_rows = 41 WHERE id = $1")
        .bind(export)
        .execute(&app.pool)
        .await
        .unwrap();
    page.js("Schedules.load(); return null").await;
    let words = page
        .js(&format!(
            "const i = (at) => instant(at, 'America/Santiago').textContent; return ['Ejecución del ' + fmtDay('{period}'), 'sesiones cerradas del ' + i('{}') + ' al ' + i('{}'), '41 filas', 'En cola'].join(' · ')",
            from.to_rfc3339(),
            to.to_rfc3339()
        ))
        .await;
    page.wait(10, "the run's line", &format!(
        "const li = document.querySelector('#schedule-{id} .history li[data-export=\"{export}\"]'); return li && li.textContent === {words}"))
        .await;
    shot(&page.c, "schedule-feed-run").await;

    // Edited, the form has the box ticked and no "covers".
    page.click(&format!("#schedule-{id} button.edit")).await;
    assert_eq!(page.js(FEED_BOX).await, json!([true, true, false]));
    assert_eq!(page.js(SHOWN).await, "s-cadence s-hour s-tz");

    // Switched to another kind, it is a feed no more.
    choose(&page, "s-kind", "Informe global").await;
    page.click("#s-save").await;
    page.wait(10, "the save", SAVED).await;
    let (kind, feed, last_days): (String, bool, Option<i16>) =
        sqlx::query_as("SELECT kind, feed, last_days FROM schedules WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), feed, last_days), ("global", false, None));
    words_of(
        &page,
        id,
        "Cada día a las 06:00 (America/Santiago), cubre el día de ayer",
    )
    .await;

    page.close().await;
    app.shutdown().await;
}
