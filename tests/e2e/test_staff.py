"""A manager invites a technician who joins and sets up; invites are one-time."""
import re

from sqlalchemy import select

from core.models import User
from tests.e2e.conftest import MANAGER_ID


async def invite_link(manager, role_button="Technician") -> str:
    await manager.send("/invite")
    await manager.reply()
    await manager.press(role_button)
    shown = await manager.reply()
    match = re.search(r"https://t\.me/service_desk_bot\?start=([A-Za-z0-9_-]+)", shown.text)
    assert match, shown.text
    return match.group(1)


async def test_a_manager_invites_a_technician_who_joins_and_picks_skills(telegram, bot):
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/start")
    assert "Manager" in (await boss.reply()).text
    code = await invite_link(boss)

    li = telegram.user(2001, "Li", last_name="Lei", language_code="zh")
    await li.send(f"/start {code}")
    joined, skills = await li.replies(2)
    assert "技师" in joined.text
    await li.press("电视")
    await li.press("冰箱")
    await li.press("电视")  # tapped twice: off again
    await li.settle()
    await li.press("完成")
    saved, areas = await li.replies(2)
    assert "冰箱" in saved.text and "电视" not in saved.text
    await li.press("Pudong")
    await li.settle()
    await li.press("完成")
    areas_saved, menu = await li.replies(2)
    assert "Pudong" in areas_saved.text and "技师" in menu.text

    async with bot.desk.uow() as uow:
        tech = await uow.session.scalar(select(User).where(User.telegram_id == 2001))
        assert tech.role == "technician" and tech.name == "Li Lei"
        assert [s.category for s in await tech.awaitable_attrs.skills] == ["refrigerator"]
        assert [a.area for a in await tech.awaitable_attrs.areas] == ["Pudong"]
    staff_menu = [v for k, v in telegram.commands.items() if "2001" in str(k)]
    assert staff_menu, telegram.commands

    # The same link again, by someone else: refused, and they stay a customer.
    bob = telegram.user(2002, "Bob")
    await bob.send(f"/start {code}")
    refused = await bob.reply()
    assert "already been used" in refused.text


async def test_made_up_and_expired_invites_are_refused(telegram, bot, clock):
    bob = telegram.user(2002, "Bob")
    await bob.send("/start not-a-real-code")
    assert "not valid" in (await bob.reply()).text
    assert "what name" in (await bob.reply()).text  # and registration goes on as usual

    boss = telegram.user(MANAGER_ID, "Boss")
    code = await invite_link(boss, "Manager")
    clock.advance(hours=73)
    carl = telegram.user(2003, "Carl")
    await carl.send(f"/start {code}")
    assert "expired" in (await carl.reply()).text


async def test_a_manager_invite_makes_a_manager(telegram, bot):
    boss = telegram.user(MANAGER_ID, "Boss")
    code = await invite_link(boss, "Manager")
    ann = telegram.user(2004, "Ann")
    await ann.send(f"/start {code}")
    joined, menu = await ann.replies(2)
    assert "Manager" in joined.text and "/invite" in menu.text


async def test_only_managers_invite(telegram, bot):
    ann = telegram.user(1001, "Ann")
    await ann.send("/invite")
    assert "Only managers" in (await ann.reply()).text
    # Forging the role button does not help either.
    boss = telegram.user(MANAGER_ID, "Boss")
    await boss.send("/invite")
    offer = await boss.reply()
    await ann.press_data("inv:technician", message=offer)
    await ann.settle()
    assert not any("t.me/service_desk_bot?start=" in line for line in ann.transcript)
