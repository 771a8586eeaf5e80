"""The lifecycle table against product.md: every allowed move, and every other one refused."""
import itertools

import pytest

from core import lifecycle as lc
from core.errors import TransitionRefused

# Written from product.md's lifecycle (and the issues' additions), not from the code.
ALLOWED = {
    ("assign", "new", "manager"): "scheduled",
    ("unassign", "scheduled", "manager"): "new",
    ("unassign", "scheduled", "technician"): "new",
    ("start_trip", "scheduled", "technician"): "en_route",
    ("arrive", "en_route", "technician"): "on_site",
    ("send_quote", "on_site", "technician"): "awaiting_approval",
    ("send_quote", "in_progress", "technician"): "awaiting_approval",
    ("approve_quote", "awaiting_approval", "customer"): "in_progress",
    ("decline_quote", "awaiting_approval", "customer"): "closed",
    ("decline_revision", "awaiting_approval", "customer"): "in_progress",
    ("request_requote", "awaiting_approval", "customer"): "on_site",  # a different quote
    ("complete", "in_progress", "technician"): "completed",
    ("complete", "on_site", "technician"): "completed",  # installation only
    ("parts_missing", "on_site", "technician"): "waiting_parts",
    ("parts_missing", "in_progress", "technician"): "waiting_parts",
    ("reschedule", "waiting_parts", "manager"): "scheduled",
    ("settle", "completed", "technician"): "closed",
    ("settle", "completed", "manager"): "closed",
    ("cancel", "new", "customer"): "cancelled",
    ("cancel", "scheduled", "customer"): "cancelled",
    **{("cancel", s, "manager"): "cancelled" for s in (
        "new", "scheduled", "en_route", "on_site", "awaiting_approval", "in_progress",
        "waiting_parts")},
}
ONLY_FOR_KINDS = {
    ("complete", "in_progress"): {"repair", "warranty"},
    ("complete", "on_site"): {"installation"},
    ("send_quote", "on_site"): {"repair", "warranty"},
    ("send_quote", "in_progress"): {"repair", "warranty"},
    ("request_requote", "awaiting_approval"): {"repair", "warranty"},
}

COMBINATIONS = list(itertools.product(lc.ACTIONS, lc.STATUSES, lc.ROLES, lc.KINDS))


def expected(action, status, role, kind):
    target = ALLOWED.get((action, status, role))
    kinds = ONLY_FOR_KINDS.get((action, status))
    if target and kinds and kind not in kinds:
        return None
    return target


@pytest.mark.parametrize("action,status,role,kind", COMBINATIONS)
def test_every_move_is_allowed_or_refused_as_the_product_says(action, status, role, kind):
    want = expected(action, status, role, kind)
    if want:
        assert lc.target_status(action, status, role, kind) == want
        assert action in lc.allowed_actions(status, role, kind)
    else:
        with pytest.raises(TransitionRefused) as refused:
            lc.target_status(action, status, role, kind)
        assert refused.value.details["status"] == status
        assert action not in lc.allowed_actions(status, role, kind)


def test_every_allowed_move_is_in_the_table():
    made = {(a, s, r) for a, s, r, k in COMBINATIONS if expected(a, s, r, k)}
    assert made == set(ALLOWED)


def test_refusal_says_why():
    with pytest.raises(TransitionRefused) as by_role:
        lc.target_status("assign", "new", "customer", "repair")
    assert by_role.value.details["reason"] == "role"
    with pytest.raises(TransitionRefused) as by_status:
        lc.target_status("cancel", "en_route", "customer", "repair")
    assert by_status.value.details["reason"] == "status"
    with pytest.raises(TransitionRefused) as by_kind:
        lc.target_status("complete", "on_site", "technician", "repair")
    assert by_kind.value.details["reason"] == "kind"
    with pytest.raises(TransitionRefused) as unknown:
        lc.target_status("teleport", "new", "manager", "repair")
    assert unknown.value.details["reason"] == "unknown_action"


def test_closed_and_cancelled_orders_are_final():
    for status in ("closed", "cancelled"):
        for role in lc.ROLES:
            for kind in lc.KINDS:
                assert lc.allowed_actions(status, role, kind) == []
