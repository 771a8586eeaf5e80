"""Likely faults and the parts to bring: the model on small fixed histories (deterministic),
and the service that learns from the company's own finished jobs and imported history."""
import pytest
from sqlalchemy import select

from core import catalogue, job_completion, jobs, quotes, stock, triage
from core.errors import NotAllowed, NotFound
from core.models import PartsRequest, Reminder, User
from core.triage_import import import_history
from core.triage_model import PastJob, Triage, covers, tokens
from tests.workshop import (
    ANN,
    BOSS,
    LI,
    TOMORROW,
    WANG,
    act,
    assigned,
    at,
    company,
    on_site,
    quoted,
)

PUMP, LOCK, BRUSH = (("WM-PUMP", 1),), (("WM-LOCK", 1),), (("WM-BRUSH", 2),)


def washer_history(pumps=20, locks=12, brushes=8, cleaned=6):
    """Customers' words and what the jobs really used, in both languages, with overlap:
    "不脱水" is said of a failed pump, worn brushes and a clogged filter alike."""
    jobs = []
    for i in range(pumps):
        words = ("洗衣机不排水，不脱水，有嗡嗡声", "won't drain, humming noise",
                 "排水很慢，桶里一直有水")[i % 3]
        jobs.append(PastJob("washing_machine", words, PUMP, "Haier", "EG100",
                            ("排水泵损坏，更换" if i % 2 else "drain pump failed, replaced")))
    for i in range(locks):
        words = ("门打不开，不启动", "door won't lock, won't start")[i % 2]
        jobs.append(PastJob("washing_machine", words, LOCK, diagnosis="门锁开关坏了"))
    for i in range(brushes):
        words = ("不脱水，滚筒不转，有焦味", "drum won't spin, burning smell")[i % 2]
        jobs.append(PastJob("washing_machine", words, BRUSH, diagnosis="电机碳刷磨损"))
    for i in range(cleaned):
        jobs.append(PastJob("washing_machine", "不排水，有异味", (), diagnosis="过滤器堵塞，已清理"))
    return jobs


def test_words_become_character_pairs_and_typo_tolerant_word_pieces():
    found = tokens("洗衣机不脱水 Drum won't SPIN")
    assert {"脱水", "不脱", "洗衣", "w:drum", "w:spin", "w:wont"} <= found
    # A typo still shares most of its pieces with the word.
    drain, drian = ({t for t in tokens(w) if t.startswith("t:")} for w in ("drain", "drian"))
    assert drain & drian and "<dr" in "".join(drain & drian)
    assert tokens(None) == set() and tokens("") == set()


def test_the_customers_words_point_at_the_fault_and_its_parts():
    model = Triage().learn_all(washer_history())
    pump = model.suggest("washing_machine", "洗衣机不排水，有嗡嗡声", "Haier", "EG100")
    assert pump.ok and pump.history == 46
    assert pump.faults[0].parts == ("WM-PUMP",) and pump.faults[0].probability >= 0.5
    assert ("WM-PUMP", 1) in pump.load and covers(pump.load, PUMP)
    lock = model.suggest("washing_machine", "the door won't open and it won't start")
    assert lock.faults[0].parts == ("WM-LOCK",) and ("WM-LOCK", 1) in lock.load
    brush = model.suggest("washing_machine", "Drum won't spin, there is a burning smell")
    assert brush.faults[0].parts == ("WM-BRUSH",)
    assert ("WM-BRUSH", 2) in brush.load  # as many as such jobs used
    # The same question, the same answer: nothing random in it.
    assert model.suggest("washing_machine", "洗衣机不排水，有嗡嗡声", "Haier", "EG100") == pump
    assert sum(f.probability for f in pump.faults) <= 1.0


def test_a_vague_description_brings_more_kinds_of_parts_than_a_clear_one():
    model = Triage().learn_all(washer_history())
    clear = model.suggest("washing_machine", "door won't lock, won't start")
    vague = model.suggest("washing_machine", "坏了")
    assert len(vague.load) > len(clear.load)
    assert len(vague.load) <= model.max_kinds


def test_fault_names_are_the_technicians_words_in_the_viewers_language_first():
    model = Triage().learn_all(washer_history())
    zh = model.suggest("washing_machine", "不排水 嗡嗡声", language="zh")
    en = model.suggest("washing_machine", "不排水 嗡嗡声", language="en")
    assert zh.faults[0].name == "排水泵损坏"  # up to the first comma before what was done
    assert en.faults[0].name == "drain pump failed"
    # Without any diagnosis, a fault is named by its parts.
    bare = Triage(min_jobs=2).learn_all(
        [PastJob("tv", "黑屏", (("TV-LED", 2),)), PastJob("tv", "黑屏有声音", (("TV-LED", 1),))])
    assert bare.suggest("tv", "黑屏", part_names={"TV-LED": "背光灯条"}).faults[0].name == "背光灯条"


def test_too_little_history_suggests_nothing():
    model = Triage().learn_all(washer_history(pumps=10, locks=5, brushes=5, cleaned=0))
    none = model.suggest("washing_machine", "不排水")
    assert (none.status, none.history, none.faults, none.load) == (
        "too_little_history", 20, (), ())
    assert model.suggest("tv", "黑屏").status == "no_history"


def test_a_job_that_needed_no_part_is_covered_by_any_load():
    assert covers((), ())
    assert covers((("WM-PUMP", 1),), ())
    assert not covers((("WM-PUMP", 1),), (("WM-PUMP", 2),))
    assert covers((("WM-PUMP", 2), ("WM-SEAL", 1)), (("WM-PUMP", 1), ("WM-PUMP", 1)))


# --- the service, on the database -------------------------------------------------------------

HISTORY_HEADER = "job,category,description,diagnosis,parts_used,first_visit_fixed\n"


def history_csv(jobs=29, start=1):
    lines = [HISTORY_HEADER]
    for n in range(start, start + jobs):
        if n % 3:
            lines.append(f"H{n},refrigerator,不制冷，压缩机不启动,压缩机坏，更换,CMP-01*1,no\n")
        else:
            lines.append(f"H{n},refrigerator,温度不准，一直运行,温控器失灵,THERM-02*1,yes\n")
    return "".join(lines)


async def imported(desk, text):
    async with desk.uow() as uow:
        result = await import_history(uow, None, text)
        assert result.ok, result.errors
        await uow.commit()


async def card_for(desk, telegram_id, order, language="en"):
    async with desk.uow() as uow:
        user = (await uow.session.scalars(
            select(User).where(User.telegram_id == telegram_id))).one()
        return await triage.for_job(uow, user, order.number, language)


@pytest.fixture
async def shop(desk):
    await company(desk)
    await act(desk, stock.receive, BOSS, "CMP-01", 5)
    await act(desk, stock.receive, BOSS, "THERM-02", 5)


async def test_it_learns_as_jobs_close_without_a_retraining_step(desk, clock, shop):
    await imported(desk, history_csv(29))  # one short of a suggestion
    order = await assigned(desk, LI, description="冰箱不制冷，压缩机不启动")
    first = await card_for(desk, LI, order)
    assert first.status == "too_little_history" and first.suggestion.history == 29
    assert first.lines == ()

    # A job finishes in the bot: the 30th of the category.
    done = await quoted(desk, clock, [("part", "THERM-02", 1), ("labour", "CALLOUT", 1)],
                        WANG, customer=2, description="冰箱温度不准")
    await act(desk, quotes.approve_quote, 2, done.number)
    await act(desk, job_completion.complete, WANG, done.number, [("THERM-02", 1, None)])

    now = await card_for(desk, LI, order)
    assert now.status == "ok" and now.suggestion.history == 30
    assert now.suggestion.faults[0].parts == ("CMP-01",)
    assert now.suggestion.faults[0].name  # the technicians' words for it
    assert [(line.sku, line.name, line.quantity, line.on_van) for line in now.lines][0] == (
        "CMP-01", "Compressor", 1, 0)
    assert now.short and now.short[0].sku == "CMP-01"


async def test_asking_for_the_missing_parts_tells_each_manager_once(desk, clock, shop):
    await imported(desk, history_csv(40))
    order = await assigned(desk, LI, description="不制冷，压缩机不启动")
    async with desk.uow() as uow:
        li = (await uow.session.scalars(select(User).where(User.telegram_id == LI))).one()
        request, new = await triage.request_parts(uow, li, order.number, "zh")
        await uow.commit()
    assert new and request.parts[0] == ["CMP-01", 1]
    async with desk.uow() as uow:
        li = (await uow.session.scalars(select(User).where(User.telegram_id == LI))).one()
        again, new = await triage.request_parts(uow, li, order.number, "zh")
        await uow.commit()
        notices = (await uow.session.scalars(
            select(Reminder).where(Reminder.kind == "parts_request"))).all()
        boss = (await uow.session.scalars(select(User).where(User.telegram_id == BOSS))).one()
    assert not new and again.id == request.id
    assert [(n.recipient_id, n.order_id) for n in notices] == [(boss.id, order.id)]

    # Once the van holds the parts there is nothing to ask.
    async with desk.uow() as uow:
        boss = await uow.session.get(User, boss.id)
        li = (await uow.session.scalars(select(User).where(User.telegram_id == LI))).one()
        await stock.transfer(uow, boss, "CMP-01", 2, "main", await stock.van(uow, li))
        await uow.commit()
    with pytest.raises(NotAllowed) as refused:
        await act(desk, triage.request_parts, LI, order.number)
    assert refused.value.details["why"] == "van_ready"
    assert (await card_for(desk, LI, order)).short == ()


async def test_the_missing_parts_prefill_a_van_request(desk, clock, shop):
    """What "📨 Ask for the missing parts" now starts: a van request of what the van lacks."""
    await imported(desk, history_csv(40))
    order = await assigned(desk, LI, description="不制冷，压缩机不启动")
    async with desk.uow() as uow:
        li = (await uow.session.scalars(select(User).where(User.telegram_id == LI))).one()
        missing = await triage.missing_for_van(uow, li, order.number, "zh")
        compressor = await catalogue.get_part(uow, "CMP-01")
    assert missing == {compressor.id: 1}
    with pytest.raises(NotFound):  # another technician's job
        await act(desk, triage.missing_for_van, WANG, order.number)
    with pytest.raises(NotAllowed):
        await act(desk, triage.missing_for_van, ANN, order.number)


async def test_only_the_jobs_own_technician_sees_or_asks(desk, clock, shop):
    await imported(desk, history_csv(40))
    order = await assigned(desk, LI, description="冰箱不制冷了")
    with pytest.raises(NotFound):
        await card_for(desk, WANG, order)
    with pytest.raises(NotFound):
        await act(desk, triage.request_parts, WANG, order.number)
    with pytest.raises(NotAllowed):
        await act(desk, triage.request_parts, ANN, order.number)
    async with desk.uow() as uow:
        assert (await uow.session.scalars(select(PartsRequest))).all() == []


async def test_the_dispatcher_sees_whose_van_holds_the_load(desk, clock, shop):
    await imported(desk, history_csv(40))
    order = await assigned(desk, LI, description="压缩机不启动，不制冷")
    async with desk.uow() as uow:
        boss = (await uow.session.scalars(select(User).where(User.telegram_id == BOSS))).one()
        wang = (await uow.session.scalars(select(User).where(User.telegram_id == WANG))).one()
        li = (await uow.session.scalars(select(User).where(User.telegram_id == LI))).one()
        await stock.transfer(uow, boss, "CMP-01", 1, "main", await stock.van(uow, wang))
        await uow.commit()
        from core.orders import find_order_for

        row = await find_order_for(uow, boss, order.number)
        likely = await triage.for_order(uow, row, "en")
        assert likely.lines[0].sku == "CMP-01"
        assert await triage.vans_ready(uow, boss, likely, [li.id, wang.id]) == {
            li.id: False, wang.id: True}
        with pytest.raises(NotAllowed):
            await triage.vans_ready(uow, li, likely, [li.id])


async def test_the_suggestion_stays_until_the_quote_is_sent(desk, clock, shop):
    await imported(desk, history_csv(40))
    order = await on_site(desk, clock, LI, description="冰箱不制冷了")
    assert (await card_for(desk, LI, order)) is not None  # on site, not yet diagnosed: shown
    clock.at = at(TOMORROW, 10)
    await act(desk, jobs.diagnose, LI, order.number, "Compressor relay burnt out")
    await act(desk, quotes.add_part, LI, order.number, "CMP-01", 1)
    await act(desk, quotes.send_quote, LI, order.number)
    assert (await card_for(desk, LI, order)) is None  # the technician knows better now
