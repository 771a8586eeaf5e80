"""The sandbox: the whole service on one machine, without Telegram, in a browser.

`python -m bot sandbox` (and `python -m bot run` without BOT_TOKEN) starts, on 127.0.0.1 only,
the local Bot API server (`botapi`), the bot itself pointed at it (BOT_API_BASE_URL) on its own
SQLite database seeded with a demo company (`demo`), and a web page with a chat per person
(`web`, `static/`). `runner.Sandbox` starts and stops them as one. None of it is imported when
the real bot runs with a token.
"""
