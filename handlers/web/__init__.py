"""The operators' web desk on the one aiohttp server (DESIGN.md §11): routes, templates, cookies,
CSRF. The rules are :mod:`bot.webdesk`'s; every action goes through the desk."""
