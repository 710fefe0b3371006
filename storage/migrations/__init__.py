"""The database's history as Alembic revisions (``versions/``), applied by :mod:`storage.schema`.

``baseline.py`` freezes the tables of release 0.1, the last release without migrations.
"""
