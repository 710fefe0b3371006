"""Excel out (DESIGN.md §11): the 台账 and the weekly figures as .xlsx, for the street.

- :mod:`bot.export.request` — what an export covers (scope, days, zone, now) and its one read;
- :mod:`bot.export.ledger` — the 台账, one row per task, masked unless the caller decides;
- :mod:`bot.export.weekly` — 按期答复率, 办结率, 满意率 per grid per ISO week, and the 合计;
- :mod:`bot.export.sheet` — the look every sheet shares (frozen header, filters, widths);
- :mod:`bot.export.headers` — every Chinese word the sheets show.

Each export is a function returning the file's bytes, so the web desk serves them as they are
and ``griddesk export`` (:mod:`bot.cli.export`) writes them to a file.
"""
