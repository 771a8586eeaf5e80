"""Receiving against the purchase order (收货: 凭收货单验收, 确保名称、数量和质量与采购订单一致).

`receive` takes one delivery of a sent or partly received purchase order: per line, how many
arrived (0 allowed, never negative) and how many of them failed inspection (with a reason,
and a photo if taken). Failed units do not enter stock; passed ones go into the main
warehouse, each ledger row naming the purchase order (`purchase_order_id`). Every line checked
is a PurchaseReceipt row. The order becomes received when every line has all it ordered,
else partly received (core.purchasing's transitions). The order row is locked first: of two
managers receiving at once the second waits and then finds it as the first left it; a
received or cancelled order is refused.

Receiving without a purchase order stays possible, with a reason (`receive_without_order`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from . import lifecycle, purchasing, stock
from .catalogue import whole_number
from .desk import UnitOfWork
from .errors import InvalidInput, TransitionRefused
from .models import Part, PurchaseReceipt, Reminder, User
from .parsing import clean_text

log = logging.getLogger(__name__)

REASON_MIN, REASON_MAX = 2, 300
NOTICE = "purchase_differences"  # the reminder kind telling the other managers
ARRIVED_MAX = purchasing.QUANTITY_MAX


@dataclass(frozen=True)
class Checked:
    """What one line of a delivery was: the order's figures after it, and this delivery's."""
    sku: str
    name: str
    ordered: int
    arrived: int
    failed: int
    reason: str | None
    received: int  # passed, all deliveries so far

    @property
    def difference(self) -> int:
        """Received so far minus ordered: negative still missing, positive more than ordered."""
        return self.received - self.ordered


@dataclass(frozen=True)
class Receipt:
    number: str
    status: str
    lines: tuple[Checked, ...]

    @property
    def differences(self) -> tuple[Checked, ...]:
        return tuple(line for line in self.lines if line.failed or line.difference)


def clean_reason(text) -> str:
    return clean_text(text, "reason", minimum=REASON_MIN, maximum=REASON_MAX, multiline=True)


def check_line(arrived, failed=0) -> tuple[int, int]:
    """A line's arrived and failed counts: 0 ≤ failed ≤ arrived ≤ ARRIVED_MAX."""
    arrived = whole_number(arrived, "quantity", 0, ARRIVED_MAX)
    failed = whole_number(failed, "failed", 0, arrived)
    return arrived, failed


async def open_order(uow: UnitOfWork, manager: User, order_id: int):
    """A purchase order that may be received now (TransitionRefused otherwise)."""
    order = await purchasing.get_order(uow, manager, order_id)
    if order.status not in purchasing.RECEIVABLE:
        raise TransitionRefused(action="receive", status=order.status,
                                reason="purchase_order", order=order.number)
    return order


async def receive(uow: UnitOfWork, manager: User, order_id: int, results: dict) -> Receipt:
    """`results` maps line ids to dicts of `arrived`, `failed`, `reason` (needed when any
    failed) and `photo` (a file id, optional); lines left out did not arrive."""
    order = await purchasing.get_order(uow, manager, order_id, lock=True)
    if order.status not in purchasing.RECEIVABLE:
        raise TransitionRefused(action="receive", status=order.status,
                                reason="purchase_order", order=order.number)
    lines = {line.id: line for line in order.lines}
    checked: dict[int, tuple[int, int, str | None, str | None]] = {}
    for line_id, result in (results or {}).items():
        if line_id not in lines or not isinstance(result, dict):
            raise InvalidInput(field="line", reason="format")
        arrived, failed = check_line(result.get("arrived"), result.get("failed", 0))
        reason = clean_reason(result.get("reason")) if failed else None
        photo = result.get("photo") if failed else None
        checked[line_id] = (arrived, failed, reason, str(photo)[:200] if photo else None)
    if not any(arrived for arrived, *_ in checked.values()):
        raise InvalidInput(field="quantity", reason="nothing_arrived")
    main = await stock.main_warehouse(uow)
    parts = {p.id: p for p in await uow.session.scalars(
        select(Part).where(Part.id.in_([line.part_id for line in lines.values()])))}
    levels = await stock.lock_levels(uow, [(main.id, line.part_id) for line in lines.values()])
    now = uow.now()
    rows = []
    for line_id, (arrived, failed, reason, photo) in sorted(checked.items()):
        line = lines[line_id]
        rows.append(PurchaseReceipt(order_id=order.id, line_id=line.id, at=now,
                                    actor_id=manager.id, arrived=arrived, failed=failed,
                                    reason=reason, photo_file_id=photo))
        uow.session.add(rows[-1])
        passed = arrived - failed
        if passed:
            await stock.move(uow, levels, stock.RECEIVE, parts[line.part_id], main.id, passed,
                              manager, note=order.number, purchase_order_id=order.id)
        line.received += passed
        line.failed += failed
    done = all(line.received >= line.quantity for line in lines.values())
    await purchasing.transition(uow, manager, order,
                                purchasing.RECEIVED if done else purchasing.PARTLY)
    await uow.session.flush()
    log.info("purchase order %s received (%s)", order.number, order.status)
    differs = any(failed for _, failed, *_ in checked.values()) or any(
        line.received != line.quantity for line in lines.values())
    if differs:
        await _tell_managers(uow, manager, rows[0].id)
    receipt = tuple(sorted((Checked(parts[line.part_id].sku, parts[line.part_id].name,
                                    line.quantity, checked.get(line.id, (0, 0))[0],
                                    checked.get(line.id, (0, 0))[1],
                                    checked.get(line.id, (0, 0, None))[2], line.received)
                            for line in lines.values()), key=lambda c: c.sku))
    return Receipt(order.number, order.status, receipt)


async def _tell_managers(uow: UnitOfWork, receiver: User, receipt_id: int) -> None:
    """The other managers hear of a delivery that differs from its order (a notice, due now;
    its key names the delivery's first receipt row)."""
    now = uow.now()
    for manager_id in await uow.session.scalars(
            select(User.id).where(User.role == lifecycle.MANAGER, User.active.is_(True),
                                  User.id != receiver.id)):
        uow.session.add(Reminder(key=f"purchase_receipt:{receipt_id}:{manager_id}",
                                 kind=NOTICE, recipient_id=manager_id, due_at=now,
                                 created_at=now, attempts=0))
    await uow.session.flush()


def receipt_id_of(reminder: Reminder) -> int | None:
    parts = (reminder.key or "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdecimal() else None


async def delivery(uow: UnitOfWork, manager: User, receipt_id: int):
    """The purchase order a notice is about, who received the delivery and the failed units'
    reasons, or None."""
    first = await uow.session.get(PurchaseReceipt, receipt_id) if receipt_id else None
    if first is None:
        return None
    seen = await purchasing.view(uow, manager, first.order_id)
    by = await uow.session.get(User, first.actor_id)
    reasons = list(await uow.session.scalars(
        select(PurchaseReceipt.reason).where(PurchaseReceipt.order_id == first.order_id,
                                             PurchaseReceipt.at == first.at,
                                             PurchaseReceipt.reason.is_not(None))
        .order_by(PurchaseReceipt.id)))
    return seen, (by.name or "?") if by else "?", reasons


async def receive_without_order(uow: UnitOfWork, manager: User, part, quantity: int,
                                reason: str):
    """Goods in without a purchase order: the reason (2 to 300 characters) is required and
    becomes the ledger row's note."""
    return await stock.receive(uow, manager, part, quantity, clean_reason(reason))
