"""The order lifecycle: which act moves an order from which status to which, and who may do it.

This table is the only place a status changes (see `orders.apply`); anything not in it is
refused. It follows product.md, plus the acts the issues add: a technician declining an
assignment or a manager unassigning (scheduled -> new), and a revised quote while the work is
under way (in_progress -> awaiting_approval, since the bill may never exceed an approved
quote), which the customer may decline and keep the first one (back to in_progress).
"""
from dataclasses import dataclass

from .errors import InvalidInput, TransitionRefused

NEW = "new"
SCHEDULED = "scheduled"
EN_ROUTE = "en_route"
ON_SITE = "on_site"
AWAITING_APPROVAL = "awaiting_approval"
IN_PROGRESS = "in_progress"
WAITING_PARTS = "waiting_parts"
COMPLETED = "completed"
CLOSED = "closed"
CANCELLED = "cancelled"

STATUSES = (
    NEW, SCHEDULED, EN_ROUTE, ON_SITE, AWAITING_APPROVAL, IN_PROGRESS,
    WAITING_PARTS, COMPLETED, CLOSED, CANCELLED,
)
OPEN_STATUSES = (
    NEW, SCHEDULED, EN_ROUTE, ON_SITE, AWAITING_APPROVAL, IN_PROGRESS, WAITING_PARTS,
)
# An order holds a place in its window while it still needs its visit (core.windows); one
# waiting for parts does not: it is rescheduled into a new window when the parts come.
HOLDING_STATUSES = (NEW, SCHEDULED, EN_ROUTE, ON_SITE, AWAITING_APPROVAL, IN_PROGRESS)
# A customer may reschedule until the technician sets off.
RESCHEDULABLE_STATUSES = (NEW, SCHEDULED)

CUSTOMER = "customer"
TECHNICIAN = "technician"
MANAGER = "manager"
ROLES = (CUSTOMER, TECHNICIAN, MANAGER)

REPAIR = "repair"
INSTALLATION = "installation"
WARRANTY = "warranty"
KINDS = (REPAIR, INSTALLATION, WARRANTY)

# The appliances a company services: what a customer books, a technician is skilled in.
APPLIANCE_CATEGORIES = (
    "air_conditioner", "refrigerator", "washing_machine", "tv",
    "water_heater", "range_hood", "microwave", "other",
)


def check_category(category: str) -> None:
    if category not in APPLIANCE_CATEGORIES:
        raise InvalidInput(field="category", reason="unknown")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS


TRANSITIONS = (
    Transition("assign", (NEW,), SCHEDULED, (MANAGER,)),
    Transition("unassign", (SCHEDULED,), NEW, (MANAGER, TECHNICIAN)),
    Transition("start_trip", (SCHEDULED,), EN_ROUTE, (TECHNICIAN,)),
    Transition("arrive", (EN_ROUTE,), ON_SITE, (TECHNICIAN,)),
    Transition("send_quote", (ON_SITE, IN_PROGRESS), AWAITING_APPROVAL, (TECHNICIAN,),
               (REPAIR, WARRANTY)),
    Transition("approve_quote", (AWAITING_APPROVAL,), IN_PROGRESS, (CUSTOMER,)),
    Transition("decline_quote", (AWAITING_APPROVAL,), CLOSED, (CUSTOMER,)),
    # The customer asks for a different quote: the technician, still there, revises it.
    Transition("request_requote", (AWAITING_APPROVAL,), ON_SITE, (CUSTOMER,), (REPAIR, WARRANTY)),
    # Declining a revised quote keeps the approved one: the work goes on as first agreed.
    Transition("decline_revision", (AWAITING_APPROVAL,), IN_PROGRESS, (CUSTOMER,)),
    Transition("complete", (IN_PROGRESS,), COMPLETED, (TECHNICIAN,), (REPAIR, WARRANTY)),
    Transition("complete", (ON_SITE,), COMPLETED, (TECHNICIAN,), (INSTALLATION,)),
    Transition("parts_missing", (ON_SITE, IN_PROGRESS), WAITING_PARTS, (TECHNICIAN,)),
    Transition("reschedule", (WAITING_PARTS,), SCHEDULED, (MANAGER,)),
    Transition("settle", (COMPLETED,), CLOSED, (TECHNICIAN, MANAGER)),
    Transition("cancel", (NEW, SCHEDULED), CANCELLED, (CUSTOMER,)),
    Transition("cancel", OPEN_STATUSES, CANCELLED, (MANAGER,)),
)

ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def target_status(action: str, status: str, role: str, kind: str) -> str:
    """The status `action` leads to, or TransitionRefused saying why not."""
    known = [t for t in TRANSITIONS if t.action == action]
    if not known:
        raise TransitionRefused(action=action, status=status, reason="unknown_action")
    for t in known:
        if status in t.sources and role in t.roles and kind in t.kinds:
            return t.target
    if not any(role in t.roles for t in known):
        reason = "role"
    elif not any(status in t.sources and role in t.roles for t in known):
        reason = "status"
    else:
        reason = "kind"
    raise TransitionRefused(action=action, status=status, reason=reason)


def allowed_actions(status: str, role: str, kind: str) -> list[str]:
    """The acts `role` may take on an order of `kind` in `status`, in table order."""
    return list(dict.fromkeys(
        t.action for t in TRANSITIONS
        if status in t.sources and role in t.roles and kind in t.kinds
    ))
