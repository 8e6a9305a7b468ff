"""The job store: SQLAlchemy 2 async over SQLite (default) or PostgreSQL. No Discord, no torch."""
