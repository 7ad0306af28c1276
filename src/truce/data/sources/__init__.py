"""One importer per data source: raw files → a balanced world folder."""
