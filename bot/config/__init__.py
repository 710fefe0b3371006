"""Settings and organisation: the config file, read once and validated with every key named.

- :mod:`bot.config.settings` — the one frozen ``Settings`` and its loader;
- :mod:`bot.config.org` — the street, communities, grids, departments and people;
- :mod:`bot.config.workhours` — deadlines counted in working time, holidays and 调休;
- :mod:`bot.config.tomlcheck` — reading TOML values with errors that name the key.
"""
