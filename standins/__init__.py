"""Local stand-ins for what the bot talks to, shared by the tests and the benchmarks.

- ``standins.discord``: Discord's REST API and gateway on 127.0.0.1, for the real discord.py client
  (``python -m standins.discord`` serves it and sends one ``/video`` to whichever bot connects).
- ``standins.tcp_proxy``: a TCP forwarder that can take a real server (PostgreSQL) away for a while.
- ``standins.postgres``: throwaway databases on a real PostgreSQL server.
- ``standins.bot_process``: the unmodified bot (``python -m bot``) as a process pointed at the stand-in.

Nothing here is part of the bot: it is not packaged, and it imports nothing from ``tests`` or ``bench``.
"""
