-- Every line (or whole file) that could not be used, with why. The line's text is never stored.
CREATE TABLE IF NOT EXISTS raw.rejects (
    source_file  VARCHAR NOT NULL,
    source_line  BIGINT,                -- NULL when the whole file or its compressed stream is at fault
    reason       VARCHAR NOT NULL,
    rejected_at  TIMESTAMP NOT NULL,
    source_record VARCHAR               -- where in the line or document: data[3].results[1]; NULL: the whole line
);
