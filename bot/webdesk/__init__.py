"""The operators' web desk: who may see and do what, sign-in links and sessions (DESIGN.md §11).

The rules live here; :mod:`handlers.web` only turns requests into these calls and renders the
answers, and every action goes through the same :class:`~bot.desk.desk.Desk` as a chat press.
"""
