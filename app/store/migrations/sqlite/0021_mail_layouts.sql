-- The owner's layout of HTML mail, one row per language (en, ru): a logo
-- (an https address), two colours (#rrggbb) and a line of footer text.
-- A language without a row uses the product's defaults.
CREATE TABLE mail_layouts (
    locale           TEXT PRIMARY KEY,
    logo_url         TEXT NOT NULL DEFAULT '',
    brand_color      TEXT NOT NULL DEFAULT '',
    background_color TEXT NOT NULL DEFAULT '',
    footer_text      TEXT NOT NULL DEFAULT '',
    updated_at       DATETIME NOT NULL
);
