"""Who may do what, checked at the top of every service: a deactivated member of staff may
do nothing at all."""
from __future__ import annotations

from .errors import NotAllowed
from .lifecycle import CUSTOMER, MANAGER, TECHNICIAN
from .models import User


def require_manager(user: User) -> None:
    if user is None or user.role != MANAGER or not user.active:
        raise NotAllowed(reason="manager_only")


def require_technician(user: User) -> None:
    if user is None or user.role != TECHNICIAN or not user.active:
        raise NotAllowed(reason="technician_only")


def require_customer(user: User) -> None:
    if user is None or user.role != CUSTOMER or not user.active:
        raise NotAllowed(reason="customer_only")


def require_staff(user: User) -> None:
    if user is None or user.role not in (MANAGER, TECHNICIAN) or not user.active:
        raise NotAllowed(reason="staff_only")
