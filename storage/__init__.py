"""Persistence: SQLModel tables, async engine and repositories that return domain values.

SQLite embedded by default, PostgreSQL for scale; see DESIGN.md §2.
"""
