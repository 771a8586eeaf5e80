"""A chat's conversation row as the engine reads and writes it (core.conversations): stored
whole at the first step, read back as written, and never overwritten from an older read."""
import pytest

from core import conversations


async def test_a_chats_state_is_stored_at_its_first_step_and_read_back_whole(desk):
    async with desk.uow() as uow:
        state = await conversations.load(uow, 42)
        assert (state.flow, state.step, state.stored) == (None, None, False)
        state.flow, state.step = "booking", "brand"
        state.draft = {"category": "tv", "photos": ["p1"], "名字": "李雷"}
        state.outbox = [{"text": "Which brand?", "question": True}]
        await conversations.save(uow, state)
        await uow.commit()
    async with desk.uow() as uow:
        again, user, handled = await conversations.load_for_update(uow, 42, 42, 7)
    assert (again.flow, again.step, again.stored) == ("booking", "brand", True)
    assert again.draft == {"category": "tv", "photos": ["p1"], "名字": "李雷"}
    assert again.outbox == [{"text": "Which brand?", "question": True}]
    assert again.version == state.version == 1
    assert user is None and handled is False


async def test_a_step_from_an_older_read_fails_and_the_newer_answer_stays(desk):
    async with desk.uow() as uow:
        first = await conversations.load(uow, 42)
        first.flow, first.step = "booking", "brand"
        await conversations.save(uow, first)
        await uow.commit()
    async with desk.uow() as uow:
        one = await conversations.load(uow, 42)
        other = await conversations.load(uow, 42)
        one.step = "model"
        await conversations.save(uow, one)
        await uow.commit()
        other.step = "serial"
        with pytest.raises(RuntimeError, match="moved on"):
            await conversations.save(uow, other)
    async with desk.uow() as uow:
        stored = await conversations.load(uow, 42)
    assert (stored.step, stored.version) == ("model", 2)
