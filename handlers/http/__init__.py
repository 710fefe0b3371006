"""The one HTTP server (aiohttp): health, metrics, and the routes channels mount on it.

Channels bring their own routes (the Telegram webhook lives with the Telegram adapter, in
:mod:`handlers.telegram.webhook`); this package knows no platform.
"""
