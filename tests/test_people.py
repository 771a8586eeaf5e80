"""Registration, phone numbers, names, managers by setting, invites."""
from datetime import timedelta

import pytest

from core import invites, people
from core.errors import InvalidInput, InviteRefused, NotAllowed


@pytest.mark.parametrize("typed,stored", [
    ("13800138000", "+8613800138000"),
    ("138 0013 8000", "+8613800138000"),
    ("+86 138-0013-8000", "+8613800138000"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_numbers_are_read_as_people_type_them(typed, stored):
    assert people.clean_phone(typed) == stored


@pytest.mark.parametrize("stored,shown", [
    ("+8613800138000", "+86 138 0013 8000"),
    ("+442079460958", "+44 20 7946 0958"),
    (None, ""),
])
def test_phone_numbers_are_shown_grouped_and_with_their_country(stored, shown):
    assert people.phone_shown(stored) == shown


@pytest.mark.parametrize("typed", ["", "12345", "hello", "<b>138</b>", "1" * 40, "+86 000"])
def test_bad_phone_numbers_are_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        people.clean_phone(typed)
    assert refused.value.details["field"] == "phone"


def test_names_keep_what_people_typed_but_not_control_characters():
    assert people.clean_name("  Ann   <b>&  Lee ") == "Ann <b>& Lee"
    assert people.clean_name("王小明 🙂") == "王小明 🙂"
    for bad in ("", "   ", "a\x00b", "x" * 65):
        with pytest.raises(InvalidInput):
            people.clean_name(bad)


async def test_manager_ids_are_managers_from_the_first_contact(desk):
    async with desk.uow() as uow:
        boss = await people.ensure_user(uow, 900)
        customer = await people.ensure_user(uow, 901)
        assert (boss.role, customer.role) == ("manager", "customer")
        assert boss.registered_at is not None and customer.registered_at is None


async def test_an_invite_works_once_for_its_role(desk, clock):
    async with desk.uow() as uow:
        boss = await people.ensure_user(uow, 900)
        invite = await invites.create_invite(uow, boss, "technician")
        li = await people.ensure_user(uow, 10)
        bob = await people.ensure_user(uow, 11)
        assert await invites.redeem_invite(uow, invite.code, li, "Li Lei") == "technician"
        assert (li.role, li.name) == ("technician", "Li Lei")
        with pytest.raises(InviteRefused) as used:
            await invites.redeem_invite(uow, invite.code, bob, "Bob")
        assert used.value.details["reason"] == "used"
        assert bob.role == "customer"
        assert invite.expires_at - invite.created_at == timedelta(hours=72)


async def test_expired_made_up_and_malformed_invites_are_refused(desk, clock):
    async with desk.uow() as uow:
        boss = await people.ensure_user(uow, 900)
        invite = await invites.create_invite(uow, boss, "manager")
        bob = await people.ensure_user(uow, 11)
        clock.advance(hours=72)
        with pytest.raises(InviteRefused) as expired:
            await invites.redeem_invite(uow, invite.code, bob, "Bob")
        assert expired.value.details["reason"] == "expired"
        for code in ("nope", "", "<script>", "x" * 65, invite.code + "x"):
            with pytest.raises(InviteRefused) as unknown:
                await invites.redeem_invite(uow, code, bob, "Bob")
            assert unknown.value.details["reason"] == "unknown"
        assert bob.role == "customer"


async def test_only_managers_invite(desk):
    async with desk.uow() as uow:
        ann = await people.ensure_user(uow, 1)
        with pytest.raises(NotAllowed):
            await invites.create_invite(uow, ann, "technician")


async def test_technicians_choose_known_categories_and_areas(desk):
    async with desk.uow() as uow:
        li = await people.ensure_user(uow, 10)
        people.make_staff(uow, li, "technician", "Li")
        await people.set_skills(uow, li, ["tv", "tv", "spaceship", "refrigerator"])
        await people.set_areas(uow, li, ["Pudong", "Atlantis"])
        await uow.commit()
    async with desk.uow() as uow:
        li = await people.find_user(uow, 10)
        assert sorted(s.category for s in await li.awaitable_attrs.skills) == ["refrigerator", "tv"]
        assert [a.area for a in await li.awaitable_attrs.areas] == ["Pudong"]
        with pytest.raises(InvalidInput):
            await people.set_skills(uow, li, ["spaceship"])
