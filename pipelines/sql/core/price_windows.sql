-- Time-of-day and day-of-week windows of the rate card (DeepSeek off-peak): an event is in a window when its local
-- ISO weekday is listed and its local minute of day is in [start_minute, end_minute), wrapping past midnight when
-- start_minute > end_minute; start_minute = end_minute means the whole day.
CREATE TABLE IF NOT EXISTS core.price_windows (
    catalogue_version  VARCHAR NOT NULL,
    window_id          VARCHAR NOT NULL,
    weekdays           INTEGER[] NOT NULL,
    start_minute       INTEGER NOT NULL,
    end_minute         INTEGER NOT NULL,
    timezone           VARCHAR NOT NULL
);
