-- Roll the days getvariable('date_from') .. getvariable('date_to') of marts.daily_project_spend up to provider x
-- model x hardware: every measure of the project mart is a sum, so summing it again gives this mart, and the two
-- always agree.
INSERT INTO marts.daily_model_spend BY NAME
SELECT usage_date, provider, model, hardware,
       sum(COLUMNS(* EXCLUDE (usage_date, provider, project, api_key_id, model, hardware)))
FROM marts.daily_project_spend
WHERE usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
GROUP BY usage_date, provider, model, hardware;
