-- How each logged model id resolved to a catalogue model; `known` is false for models the catalogue lacks.
CREATE TABLE IF NOT EXISTS core.model_aliases (
    provider           VARCHAR NOT NULL,
    model_raw          VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    known              BOOLEAN NOT NULL,
    catalogue_version  VARCHAR NOT NULL,
    PRIMARY KEY (provider, model_raw)
);
