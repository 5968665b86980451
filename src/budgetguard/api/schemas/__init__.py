"""Request and answer bodies of the HTTP API, by area (kept apart from the tables and the
domain objects they present)."""
