"""One-time invites that make a Telegram user a technician or a manager."""
from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from sqlalchemy import update

from .desk import UnitOfWork
from .errors import InvalidInput, InviteRefused, NotAllowed
from .lifecycle import MANAGER, TECHNICIAN
from .models import Invite, User
from .people import make_staff

log = logging.getLogger(__name__)

# What a Telegram deep link may carry (A-Z a-z 0-9 _ -, at most 64 characters).
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def create_invite(uow: UnitOfWork, manager: User, role: str) -> Invite:
    if manager.role != MANAGER or not manager.active:
        raise NotAllowed(reason="manager_only")
    if role not in (TECHNICIAN, MANAGER):
        raise InvalidInput(field="role")
    now = uow.now()
    invite = Invite(
        code=secrets.token_urlsafe(16),  # 22 characters of A-Z a-z 0-9 _ -
        role=role,
        created_by_id=manager.id,
        created_at=now,
        expires_at=now + timedelta(hours=uow.company.invite_valid_hours),
    )
    uow.session.add(invite)
    await uow.session.flush()
    log.info("manager %s created a %s invite", manager.id, role)
    return invite


async def redeem_invite(uow: UnitOfWork, code: str, user: User, name: str | None) -> str:
    """Turns `user` into the invite's role and returns the role; InviteRefused otherwise.

    The invite is taken with a conditional UPDATE so that two people racing for one code
    cannot both succeed.
    """
    if not CODE_PATTERN.match(code or ""):
        raise InviteRefused(reason="unknown")
    invite = await uow.session.get(Invite, code)
    now = uow.now()
    if invite is None:
        raise InviteRefused(reason="unknown")
    if invite.used_at is not None:
        raise InviteRefused(reason="used")
    if invite.expires_at <= now:
        raise InviteRefused(reason="expired")
    if user.role == MANAGER and invite.role == TECHNICIAN:
        # A manager stays a manager; an invite never lowers anyone's role.
        raise InviteRefused(reason="already_manager")
    taken = await uow.session.execute(
        update(Invite)
        .where(Invite.code == code, Invite.used_at.is_(None))
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise InviteRefused(reason="used")
    make_staff(uow, user, invite.role, name)
    await uow.session.flush()
    log.info("user %s joined as %s by invite", user.id, invite.role)
    return invite.role
