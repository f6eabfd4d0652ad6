-- NanoMon schema, run once by the postgres image on an empty data directory.
\connect nanomon

CREATE TABLE IF NOT EXISTS monitors (
  id         SERIAL PRIMARY KEY,
  name       TEXT NOT NULL,
  type       TEXT NOT NULL,
  target     TEXT NOT NULL,
  interval   TEXT NOT NULL DEFAULT '30s',
  enabled    BOOLEAN NOT NULL DEFAULT TRUE,
  rule       TEXT,
  properties JSONB NOT NULL DEFAULT '{}'::jsonb,
  updated    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS results (
  id           SERIAL PRIMARY KEY,
  monitor_id   INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
  monitor_name TEXT NOT NULL,
  monitor_type TEXT NOT NULL,
  monitor_target TEXT NOT NULL,
  status       INTEGER NOT NULL,
  value        INTEGER,
  message      TEXT,
  outputs      JSONB NOT NULL DEFAULT '{}'::jsonb,
  date         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS results_monitor_id_idx ON results (monitor_id);
CREATE INDEX IF NOT EXISTS results_date_idx ON results (date DESC);

-- The runner listens on this channel to pick up monitor changes without polling.
CREATE OR REPLACE FUNCTION notify_monitor_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('monitors_changed', TG_OP || ':' || COALESCE(NEW.id, OLD.id)::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS monitors_changed ON monitors;
CREATE TRIGGER monitors_changed
  AFTER INSERT OR UPDATE OR DELETE ON monitors
  FOR EACH ROW EXECUTE FUNCTION notify_monitor_change();
