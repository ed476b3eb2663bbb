"""The accounts side of the REST API: who the caller is, organisations, token authentication."""
