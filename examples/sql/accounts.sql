-- The table behind examples/resources/hr-postgres.yaml ("MyLittleAD").
-- id is the primary identifier (icfs:uid), name the secondary one (icfs:name);
-- modified_at is kept current by a trigger so changes can be read "since a token"; modified_by records
-- who wrote last (the connection's application_name: Tally's is `tally`), so live sync skips Tally's own writes.
CREATE TABLE IF NOT EXISTS accounts (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  login       text,
  cn          text,
  given_name  text,
  sn          text,
  description text,
  modified_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  modified_by text
);

ALTER TABLE accounts ADD COLUMN IF NOT EXISTS modified_by text;
-- The account's administrative status (activation) and its password, stored as an {SSHA256} hash.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS enabled boolean NOT NULL DEFAULT true;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS password_hash text;

CREATE INDEX IF NOT EXISTS accounts_modified_at ON accounts (modified_at, id);

CREATE OR REPLACE FUNCTION accounts_touch_modified_at() RETURNS trigger AS $$
BEGIN
  NEW.modified_at := clock_timestamp();
  NEW.modified_by := current_setting('application_name', true);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS accounts_modified_at ON accounts;
CREATE TRIGGER accounts_modified_at
  BEFORE INSERT OR UPDATE ON accounts
  FOR EACH ROW EXECUTE FUNCTION accounts_touch_modified_at();
