"""The desk's flows: what people do with tasks, from a resident's message to a rating.

- :mod:`bot.desk.desk` — the one entry point channel adapters call; routes presses by verb;
- :mod:`bot.desk.intake` — a resident's private chat: drafts, places, categories;
- :mod:`bot.desk.filing` — a complete report becomes a task, or joins the one it repeats;
- :mod:`bot.desk.merging` — 合并 on a card; :mod:`bot.desk.followers` — merged tasks follow;
- :mod:`bot.desk.work` — workers on task cards: claim, transfer (改派 by staff), escalate, give
  back; :mod:`bot.desk.listings` — ``/tasks`` and ``/mine``; :mod:`bot.desk.leavers` — the
  claims of someone who left;
- :mod:`bot.desk.status` — ``/my`` and status questions in plain words (进度? 有人管吗);
- :mod:`bot.desk.withdrawal` — ``/cancel`` and withdrawals in plain words (不用了, 已经好了);
- :mod:`bot.desk.erasure` — ``/forget``: a resident's data deleted at their request;
- :mod:`bot.desk.feedback` — the rating, words about a result, 不满意 and what is wrong;
- :mod:`bot.desk.plain_words` — short messages matched as a whole, so reports are still filed;
- :mod:`bot.desk.cards` — task cards and notices as channel-neutral messages;
- :mod:`bot.desk.actions` — what a button carries in its callback data;
- :mod:`bot.desk.context` — what every flow shares (store, org, clock …);
- :mod:`bot.desk.throttle` — the flood guard's token buckets.
"""
