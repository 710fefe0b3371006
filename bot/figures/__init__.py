"""The figures of 接诉即办 (按期答复率, 办结率, 满意率), computed from the audit trail.

- :mod:`bot.figures.compute` — the pure computation and the operators' plain table;
- :mod:`bot.figures.stats_command` — ``/stats`` in a grid's, community's or street's group.
"""
