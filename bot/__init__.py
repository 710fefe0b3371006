"""The application: settings, the composition root and the command line.

Knows no Telegram types and no SQL; builds the language core once and hands it to whoever needs it.
"""
