"""Where a queued job stands in its model's queue. Pure arithmetic: no SQL, no Discord, no torch.

The queue is served round-robin: the server served least recently goes next, within it the member served
least recently, and each member's jobs run in the order they were submitted. Whoever is served goes to
the back of their line. The store keeps, per model, each server's and each member's count of queued jobs
and when each was last served; from those a job's place follows without reading the jobs ahead of it.
"""

from __future__ import annotations

from collections.abc import Sequence

# (server or member id, how many jobs it has queued), in the order the next turns go to them.
Line = Sequence[tuple[int, int]]


def position(members: Line, user_id: int, k: int, guilds: Line, guild_id: int) -> int:
    """Place (1 = next) of a member's k-th queued job, if nothing else were submitted.

    ``members`` are those of the job's server with jobs queued, ``guilds`` the servers, each in the order
    they will next be served. The job is its server's ``turn``-th to run: after the member's own k - 1
    earlier jobs and those of the other members served before it; the other servers' jobs served before
    that turn come ahead of it too.
    """
    turn = k + served_before(members, user_id, k)
    return turn + served_before(guilds, guild_id, turn)


def served_before(line: Line, own: int, turn: int) -> int:
    """How many jobs the others in ``line`` have run before ``own``'s ``turn``-th: each one ahead of ``own``
    in the line gets up to ``turn`` turns first, each one behind up to ``turn - 1``."""
    before, seen = 0, False
    for other, queued in line:
        if other == own:
            seen = True
        else:
            before += min(queued, turn - 1 if seen else turn)
    return before
