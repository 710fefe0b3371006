"""Follow-up: everything that happens on a schedule rather than on a person's action.

- :mod:`bot.followup.plan` — every deadline and follow-up decision, as pure functions;
- :mod:`bot.followup.engine` — the tick that takes every due step of every task;
- :mod:`bot.followup.drafts` — reports waiting for an answer: reminded once, then expired;
- :mod:`bot.followup.reminders` — overdue reminders gathered into one message per chat;
- :mod:`bot.followup.broadcasts` — notices admins schedule, once or recurring;
- :mod:`bot.followup.notice_times` — when notices go out: schedules, cron lines, quiet hours;
- :mod:`bot.followup.digests` — the morning digest per grid and the weekly figures.
"""
