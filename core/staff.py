"""The company's staff as a manager keeps it: the list, deactivating (a technician's
scheduled jobs go back to dispatch) and reactivating, and technicians' skills and areas."""
from __future__ import annotations

import logging

from sqlalchemy import case, func, select

from .desk import UnitOfWork
from .dispatch import Released, release_jobs
from .errors import InvalidInput, NotAllowed, NotFound
from .lifecycle import APPLIANCE_CATEGORIES, MANAGER, TECHNICIAN
from .models import TechnicianArea, TechnicianSkill, User
from .paging import Page, page_bounds
from .roles import require_manager

log = logging.getLogger(__name__)

STAFF_PAGE_SIZE = 6


async def staff_page(uow: UnitOfWork, manager: User, page: int = 1,
                     page_size: int = STAFF_PAGE_SIZE):
    """Technicians and managers, paged: active ones first, then by role (managers first)
    and name."""
    require_manager(manager)
    staff = User.role.in_((TECHNICIAN, MANAGER))
    total = await uow.session.scalar(select(func.count(User.id)).where(staff)) or 0
    page, page_size, offset = page_bounds(page, page_size, total, STAFF_PAGE_SIZE)
    items = (await uow.session.scalars(
        select(User).where(staff)
        .order_by(User.active.desc(), case((User.role == MANAGER, 0), else_=1),
                  User.name, User.id)
        .offset(offset).limit(page_size))).all()
    return Page(tuple(items), page, page_size, total)


async def get_staff(uow: UnitOfWork, manager: User, user_id: int) -> User:
    """A technician or manager by user id, for a manager; NotFound(what="staff") otherwise
    (customers included: a forged id learns nothing)."""
    require_manager(manager)
    user = (await uow.session.get(User, user_id)
            if isinstance(user_id, int) and not isinstance(user_id, bool) else None)
    if user is None or user.role not in (TECHNICIAN, MANAGER):
        raise NotFound(what="staff")
    return user


async def deactivate_staff(uow: UnitOfWork, manager: User, user_id: int,
                           note: str | None = None):
    """Deactivates a technician or manager: from now on they may do nothing (core.roles).
    A technician's scheduled jobs go back to dispatch first (core.dispatch.release_jobs);
    jobs already under way stay theirs and are listed for the manager to handle. Returns
    (the user, the Released jobs or None for a manager, whether anything changed: False when
    they were inactive already). A manager cannot deactivate themselves (NotAllowed reason
    "not_yourself"), so there is always an active manager."""
    user = await get_staff(uow, manager, user_id)
    if user.id == manager.id:
        raise NotAllowed(reason="not_yourself")
    if not user.active:
        return user, (Released((), ()) if user.role == TECHNICIAN else None), False
    released = None
    if user.role == TECHNICIAN:
        released = await release_jobs(uow, manager, user, note)
    user.active = False
    await uow.session.flush()
    log.info("staff %s (%s) deactivated by %s", user.id, user.role, manager.id)
    return user, released, True


async def reactivate_staff(uow: UnitOfWork, manager: User, user_id: int):
    """Makes a deactivated technician or manager active again. Returns (the user, whether
    anything changed)."""
    user = await get_staff(uow, manager, user_id)
    if user.active:
        return user, False
    user.active = True
    await uow.session.flush()
    log.info("staff %s (%s) reactivated by %s", user.id, user.role, manager.id)
    return user, True


async def set_technician_skills(uow: UnitOfWork, manager: User, user_id: int,
                                categories: list[str]) -> User:
    """A manager sets a technician's appliance categories (active or not); at least one."""
    user = await _technician_for(uow, manager, user_id)
    wanted = [c for c in dict.fromkeys(categories or ()) if c in APPLIANCE_CATEGORIES]
    if not wanted:
        raise InvalidInput(field="skills", reason="empty")
    await user.awaitable_attrs.skills
    user.skills = [TechnicianSkill(category=c) for c in wanted]
    await uow.session.flush()
    return user


async def set_technician_areas(uow: UnitOfWork, manager: User, user_id: int,
                               areas: list[str]) -> User:
    """A manager sets a technician's service areas (from the configured ones); at least one."""
    user = await _technician_for(uow, manager, user_id)
    wanted = [a for a in dict.fromkeys(areas or ()) if a in uow.company.service_areas]
    if not wanted:
        raise InvalidInput(field="areas", reason="empty")
    await user.awaitable_attrs.areas
    user.areas = [TechnicianArea(area=a) for a in wanted]
    await uow.session.flush()
    return user


async def _technician_for(uow: UnitOfWork, manager: User, user_id: int) -> User:
    user = await get_staff(uow, manager, user_id)
    if user.role != TECHNICIAN:
        raise NotFound(what="staff")
    return user
