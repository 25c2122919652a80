-- Alerts still live: the latest alert of each anomaly episode that is not closed (and not covered by a higher-level
-- episode), and the latest alert per basis (actual, forecast) of each budget in a month still being evaluated. A
-- channel added to the alerts file later receives these, once each.
WITH latest AS (
    SELECT alert_id, kind, subject, event,
           row_number() OVER (PARTITION BY kind, subject, CASE WHEN kind = 'budget' THEN event END
                              ORDER BY created_at DESC, alert_id DESC) AS recency
    FROM raw.alerts
)
SELECT alert_id, kind, subject
FROM latest
WHERE recency = 1
  AND ((kind = 'anomaly' AND event <> 'closed'
        AND subject IN (SELECT anomaly_id FROM marts.spend_anomalies WHERE status <> 'closed' AND covered_by IS NULL))
    OR (kind = 'budget'
        AND split_part(subject, '/', 2) IN (SELECT strftime(month, '%Y-%m') FROM marts.budget_status
                                             WHERE generated_on = (SELECT max(generated_on) FROM marts.budget_status))))
ORDER BY alert_id
