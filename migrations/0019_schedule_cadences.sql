-- Schedules run daily, weekly or monthly (a day 1-28 or the last day) and cover the
-- period just closed or the last N days. Existing schedules are monthly on their day.
ALTER TABLE schedules
    ADD COLUMN cadence     TEXT NOT NULL DEFAULT 'monthly' CHECK (cadence IN ('daily', 'weekly', 'monthly')),
    ADD COLUMN day_of_week SMALLINT CHECK (day_of_week BETWEEN 1 AND 7),
    ADD COLUMN last_day    BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN week_start  SMALLINT NOT NULL DEFAULT 1 CHECK (week_start BETWEEN 1 AND 7),
    ADD COLUMN last_days   SMALLINT CHECK (last_days BETWEEN 1 AND 366),
    ALTER COLUMN day_of_month DROP NOT NULL;

-- Each cadence has exactly the day fields it uses.
ALTER TABLE schedules ADD CONSTRAINT schedules_cadence_days CHECK (
    CASE cadence
        WHEN 'daily' THEN day_of_month IS NULL AND day_of_week IS NULL AND NOT last_day
        WHEN 'weekly' THEN day_of_month IS NULL AND day_of_week IS NOT NULL AND NOT last_day
        ELSE day_of_week IS NULL AND ((day_of_month IS NOT NULL) <> last_day)
    END
);
