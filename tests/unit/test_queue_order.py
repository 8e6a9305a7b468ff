"""Queue positions under round-robin, against a step-by-step simulation of the claims that serve it."""

from __future__ import annotations

from collections import Counter, deque

from hypothesis import given
from hypothesis import strategies as st

from bot.queue_order import position, served_before

# A model's queue: servers in the order they will next be served, each with its members in that order
# and how many jobs each has queued.
Queue = list[tuple[int, list[tuple[int, int]]]]
Job = tuple[int, int, int]  # (server, member, k): the member's k-th queued job there


@st.composite
def queues(draw: st.DrawFn) -> Queue:
    guilds = draw(st.lists(st.integers(1, 50), unique=True, max_size=5))
    return [
        (
            guild,
            draw(
                st.lists(
                    st.tuples(st.integers(1, 50), st.integers(1, 6)),
                    min_size=1,
                    max_size=5,
                    unique_by=lambda member: member[0],
                )
            ),
        )
        for guild in guilds
    ]


def claims(queue: Queue) -> list[Job]:
    """The jobs in the order claims take them: the server first in line is served and goes to the back,
    within it the member first in line likewise; whoever has nothing left queued leaves the line."""
    guilds = deque(guild for guild, _ in queue)
    members = {guild: deque(member for member, _ in line) for guild, line in queue}
    left = {(guild, member): queued for guild, line in queue for member, queued in line}
    taken: Counter[tuple[int, int]] = Counter()
    order = []
    while guilds:
        guild = guilds.popleft()
        member = members[guild].popleft()
        taken[guild, member] += 1
        left[guild, member] -= 1
        order.append((guild, member, taken[guild, member]))
        if left[guild, member]:
            members[guild].append(member)
        if members[guild]:
            guilds.append(guild)
    return order


def positions(queue: Queue) -> dict[Job, int]:
    """Every queued job's position, as the store reports it."""
    guilds = [(guild, sum(queued for _, queued in line)) for guild, line in queue]
    return {
        (guild, member, k): position(line, member, k, guilds, guild)
        for guild, line in queue
        for member, queued in line
        for k in range(1, queued + 1)
    }


def test_a_busy_member_waits_for_the_others_and_a_busy_server_for_the_others() -> None:
    # Server 1: member 1 with three jobs, then member 2 with one. Server 2: member 3 with two.
    queue = [(1, [(1, 3), (2, 1)]), (2, [(3, 2)])]
    assert claims(queue) == [(1, 1, 1), (2, 3, 1), (1, 2, 1), (2, 3, 2), (1, 1, 2), (1, 1, 3)]
    assert positions(queue) == {job: place for place, job in enumerate(claims(queue), start=1)}


@given(queues())
def test_positions_are_a_permutation_of_one_to_the_queue_length(queue: Queue) -> None:
    places = positions(queue)
    assert sorted(places.values()) == list(range(1, len(places) + 1))


@given(queues())
def test_positions_follow_the_order_claims_take_the_jobs(queue: Queue) -> None:
    assert positions(queue) == {job: place for place, job in enumerate(claims(queue), start=1)}


@given(queues())
def test_no_k_th_job_of_a_member_precedes_another_members_k_minus_first_in_their_server(
    queue: Queue,
) -> None:
    places = positions(queue)
    for (guild, member, k), place in places.items():
        for (other_guild, other, j), other_place in places.items():
            if other_guild == guild and other != member and j == k - 1:
                assert other_place < place
            if (other_guild, other) == (guild, member) and j < k:
                assert other_place < place  # a member's own jobs run in the order submitted


@given(queues())
def test_no_server_s_t_th_turn_precedes_another_server_s_t_minus_first(queue: Queue) -> None:
    by_guild: dict[int, list[int]] = {}
    for (guild, _, _), place in positions(queue).items():
        by_guild.setdefault(guild, []).append(place)
    turns = {guild: sorted(places) for guild, places in by_guild.items()}
    for guild, places in turns.items():
        for other, other_places in turns.items():
            for t in range(2, len(places) + 1):
                if other != guild and len(other_places) >= t - 1:
                    assert other_places[t - 2] < places[t - 1]


@given(queues())
def test_after_a_claim_every_other_job_moves_up_one_place(queue: Queue) -> None:
    order = claims(queue)
    if not order:
        return
    first_guild, first_member, _ = order[0]
    # The served server and member go to the back of their lines, one job fewer.
    rest: Queue = []
    for guild, line in queue:
        if guild == first_guild:
            (member, queued), *others = line
            line = others + ([(member, queued - 1)] if queued > 1 else [])
        if line:
            rest.append((guild, line))
    if rest and rest[0][0] == first_guild:
        rest = rest[1:] + rest[:1]
    served = (first_guild, first_member)
    renumbered = {
        (guild, member, k - 1 if (guild, member) == served else k): place - 1
        for (guild, member, k), place in positions(queue).items()
        if place > 1
    }
    assert positions(rest) == renumbered


@given(st.lists(st.tuples(st.integers(1, 9), st.integers(0, 5)), unique_by=lambda x: x[0]), st.integers(1, 9))
def test_nobody_ahead_gets_more_turns_than_asked_nor_anyone_behind_as_many(
    line: list[tuple[int, int]], turn: int
) -> None:
    own = 0  # not in the line: everyone counts as ahead
    assert served_before(line, own, turn) == sum(min(queued, turn) for _, queued in line)
    back = [*line, (own, 1)]
    front = [(own, 1), *line]
    assert served_before(back, own, turn) == served_before(line, own, turn)
    assert served_before(front, own, turn) == sum(min(queued, turn - 1) for _, queued in line)
