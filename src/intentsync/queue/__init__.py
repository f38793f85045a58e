"""Background jobs: in-process on SQLite, on procrastinate's PostgreSQL queue in production."""
