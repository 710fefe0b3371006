"""The ``griddesk`` command line (the composition root itself is :mod:`bot.app`).

- :mod:`bot.cli.main` — the entry point and its subcommands; the one place logging is set up;
- :mod:`bot.cli.doctor` — what ``griddesk doctor`` prints about the outbox;
- :mod:`bot.cli.org_tree` — what ``griddesk check-config`` prints: the organisation as a tree;
- :mod:`bot.cli.suggest` — ``griddesk rules-suggest``: rule words a labelled file makes obvious;
- :mod:`bot.cli.arguments` — option types the commands share (a person's id).
"""
