"""Settings and organisation: the config file, read once and validated with every key named.

- :mod:`bot.config.settings` — the one frozen ``Settings`` and its loader;
- :mod:`bot.config.timing`, :mod:`bot.config.residents`, :mod:`bot.config.notices` — the
  tables about deadlines and digests, residents' input, and notices, each with its reader;
- :mod:`bot.config.org` — the street, communities, grids, departments and people, read by
  :mod:`bot.config.org_reader`;
- :mod:`bot.config.environment` — secrets: from the environment, never from the file;
- :mod:`bot.config.workhours` — deadlines counted in working time, holidays and 调休;
- :mod:`bot.config.tomlcheck` — reading TOML values with errors that name the key, every
  mistake collected for one report.
"""
