"""Moderators' limit overrides, for a whole server, a role or a member: every query on them lives here.

``limits`` reads a member's limits inside a caller's transaction, so that ``JobStore.submit`` checks the
limits and queues the job in one atomic step.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.limits import LimitLayer, LimitName, LimitPolicy, Limits, Scope
from bot.store.base import StoreBase
from bot.store.schema import LimitOverride


class LimitOverrideStore(StoreBase):
    async def set_limits(self, guild_id: int, scope: Scope, target_id: int, layer: LimitLayer) -> LimitLayer:
        """Merge ``layer``'s set fields into the override for (scope, target); return the result."""
        async with self._transaction() as session:
            row = await session.get(LimitOverride, (guild_id, scope.value, target_id))
            if row is None:
                row = LimitOverride(guild_id=guild_id, scope=scope.value, target_id=target_id)
                session.add(row)
            for name, value in layer.given().items():
                setattr(row, name, value)
            return _layer(row)

    async def reset_limits(self, guild_id: int, scope: Scope, target_id: int) -> bool:
        async with self._transaction() as session:
            row = await session.get(LimitOverride, (guild_id, scope.value, target_id))
            if row is None:
                return False
            await session.delete(row)
            return True

    async def limit_overrides(self, guild_id: int) -> list[tuple[Scope, int, LimitLayer]]:
        async with self._transaction() as session:
            return [
                (Scope(row.scope), row.target_id, _layer(row)) for row in await _overrides(session, guild_id)
            ]

    async def effective_limits(
        self, guild_id: int, user_id: int, role_ids: Sequence[int], defaults: Limits | LimitPolicy
    ) -> Limits:
        async with self._transaction() as session:
            return await limits(session, guild_id, user_id, role_ids, LimitPolicy.of(defaults))


async def limits(
    session: AsyncSession, guild_id: int, user_id: int, role_ids: Sequence[int], policy: LimitPolicy
) -> Limits:
    """A member's limits with these roles: the policy's defaults under the server's overrides."""
    guild = member = None
    roles: list[LimitLayer] = []
    wanted_roles = set(role_ids)
    for row in await _overrides(session, guild_id):
        layer = _layer(row)
        if row.scope == Scope.GUILD:
            guild = layer
        elif row.scope == Scope.ROLE and row.target_id in wanted_roles:
            roles.append(layer)
        elif row.scope == Scope.USER and row.target_id == user_id:
            member = layer
    return policy.limits(guild, roles, member)


async def _overrides(session: AsyncSession, guild_id: int) -> Sequence[LimitOverride]:
    return (await session.scalars(select(LimitOverride).where(LimitOverride.guild_id == guild_id))).all()


def _layer(row: LimitOverride) -> LimitLayer:
    return LimitLayer(**{name.value: getattr(row, name.value) for name in LimitName})
