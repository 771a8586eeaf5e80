"""What the technician's job flows share (handlers.quote_builder, handlers.completion): how a
flow starts on a job's card, a step's question with its Stop button, refusals in the jobs' own
words, part search and quantities; and the shortest job flow, a decline with a typed reason."""
from __future__ import annotations

import logging

from core import catalogue, jobs, quotes
from core.errors import DomainError, InvalidInput, NotFound, TransitionRefused
from core.parsing import clean_text, parse_quantity

from .chat import keyboard
from .flow import CANCEL, Entry, Flow, Next, Question, Step, Turn
from .jobs import FLOW_TTL, ID, QUANTITIES, card_view, payment_rows, refusal_key, short
from .texts import money

log = logging.getLogger(__name__)


def words(turn: Turn, key: str, /, **params) -> str:
    """A label of the jobs' own (labels_jobs.toml), in the turn's language."""
    return turn.label(f"jobs.{key}", **params)


def photos_question(turn: Turn, asked: str, received: str, done: str, **values) -> Question:
    """A job flow's photo step: asked first, then "received, n so far" after each photo;
    the button `done` goes on."""
    rows = [[(words(turn, "button.photos_done"), done)]]
    if turn.draft.pop("photo_received", False):
        return question(turn, received, rows, count=len(turn.draft["photos"]),
                        maximum=jobs.PHOTOS_MAX)
    return question(turn, asked, rows, maximum=jobs.PHOTOS_MAX, **values)


async def photo_added(turn: Turn, file_id: str) -> Next:
    """A photo sent at a photo step, up to the job's maximum."""
    photos = turn.draft.setdefault("photos", [])
    if len(photos) >= jobs.PHOTOS_MAX:
        turn.say("photos_full", maximum=jobs.PHOTOS_MAX)
        return turn.stay()
    photos.append(file_id)
    turn.draft["photo_received"] = True
    return turn.again()


def pay_rows_for(turn: Turn, order_id: int, amount: int, kind: str) -> list:
    return payment_rows(lambda key: words(turn, key), order_id, amount, kind)


def number_in(value: str) -> int | None:
    """The id or page after "<kind>:" in a flow button's value; None when it is not one
    (forged data is out of date, never an error)."""
    _, _, tail = value.partition(":")
    return int(tail) if tail.isdigit() and len(tail) <= 12 else None


def question(turn: Turn, template: str, rows=(), *, stop: bool = True, **values) -> Question:
    """A job flow's question: its buttons, then Stop (the engine's Cancel)."""
    rows = [list(row) for row in rows]
    if stop:
        rows.append([(words(turn, "button.stop"), CANCEL)])
    return Question(template, rows, values, nav=False)


def back_row(turn: Turn, key: str = "button.back") -> list:
    return [(words(turn, key), "back")]


def turn_pager(turn: Turn, page, value: str) -> list:
    """Newer / Older buttons for a core Page; `value` has {page} in it."""
    row = []
    if page.has_previous:
        row.append((turn.label("button.previous"), value.format(page=page.page - 1)))
    if page.has_next:
        row.append((turn.label("button.next"), value.format(page=page.page + 1)))
    return [row] if row else []


def stale(turn: Turn) -> Next:
    turn.toast("toast.stale_button")
    return turn.stay()


async def undo(turn: Turn) -> None:
    """Rolls back what the step changed in core, when it goes on another way."""
    await turn.undo()


async def job_for(turn: Turn, order_id: int, action: str) -> jobs.JobCard | None:
    """The job a flow starts on (or goes on with), when it is theirs and offers `action` now;
    else None: the out-of-date notice and the pressed card shown afresh. NotFound (not theirs,
    or no such job) is raised: refused like any missing order."""
    card = await jobs.job_card(turn.uow, turn.user, order_id)
    if action not in card.actions:
        turn.toast("toast.stale_button")
        if turn.update.callback_query and turn.update.callback_query.data.startswith("jb:"):
            values, rows = await card_view(turn.uow, turn.user, card.id,
                                           lambda key, **p: turn.label(key, **p), turn.day,
                                           turn.lang)
            turn.show("job_card", reply_markup=keyboard(rows), **values)
        return None
    return card


def begin(turn: Turn, card: jobs.JobCard, **data) -> None:
    turn.draft.update(order=card.id, number=card.number, kind=card.kind, **data)


def refused(turn: Turn, error: DomainError) -> Next:
    """Tells the technician why not, in the jobs' own words where they have them. The step is
    kept, unless the job is gone or has moved on (not found, a refused transition)."""
    key = refusal_key(error)
    if key:
        turn.say("job_refused", why=key, details=dict(error.details))
    else:
        turn.say(f"error_{error.code}", **error.details)
    gone = isinstance(error, TransitionRefused) or (
        isinstance(error, NotFound) and error.details.get("what") in (None, "order"))
    return turn.end() if gone else turn.stay()


def stopped(turn: Turn) -> None:
    """Stop or /cancel: which job it was, and the way back to it."""
    d = turn.draft
    rows = [[(words(turn, "button.open_job"), f"jb:v:{d['order']}")]] if d.get("order") else []
    turn.say("job_flow_stopped", flow=turn.flow.name.removeprefix("job_"),
             number=d.get("number", ""), reply_markup=keyboard(rows) if rows else None)


def job_flow(name: str, prefix: str, steps: dict, entries: list, **more) -> Flow:
    """A flow of the jobs: 24 hours to finish it, Stop and refusals as above; a press turns
    the pressed question (or card) into what comes next, so a job's chat stays readable."""
    return Flow(name=name, prefix=prefix, steps=steps, entries=entries, ttl=FLOW_TTL,
                refused=more.pop("refused", refused), stopped=stopped,
                in_place=more.pop("in_place", True), **more)


def typed(field: str, *, minimum: int = 0, maximum: int, multiline: bool = False):
    """Checks typed text like core does; InvalidInput is said and the step stays."""
    def clean(text: str) -> str:
        value = clean_text(text, field, minimum=minimum, maximum=maximum, multiline=multiline)
        if value is None:
            raise InvalidInput(field=field, reason="empty")
        return value
    return clean


# --- shared steps: finding a part, choosing a quantity ----------------------------------------

async def part_results(turn: Turn, back: str = "button.back") -> Question:
    """The catalogue parts matching the draft's typed query, as buttons `pt:<id>`, paged with
    `sp:<page>`; typing again searches again."""
    d = turn.draft
    found = await catalogue.search_parts(turn.uow, d.get("query", ""), d.get("page", 1))
    rows = [[(short(f"{p.name} · {p.sku} · {money(p.price)}"), f"pt:{p.id}")]
            for p in found.items]
    rows += turn_pager(turn, found, "sp:{page}")
    rows.append(back_row(turn, back))
    return question(turn, "job_part_results", rows, query=d.get("query", ""),
                    total=found.total, page=found.page, pages=found.pages)


async def searched(turn: Turn, text: str) -> Next:
    """A typed search: its results are the step's question (typing again searches again)."""
    turn.draft["query"] = search_query(text)
    turn.draft["page"] = 1
    return turn.again()


def paged(turn: Turn, value: str) -> Next:
    page = number_in(value)
    if page is None or page < 1 or not turn.draft.get("query"):
        return stale(turn)
    turn.draft["page"] = page
    return turn.again()


def search_query(text: str) -> str:
    query = " ".join((text or "").split())[:catalogue.QUERY_MAX]
    if not query:
        raise InvalidInput(field="query", reason="empty")
    return query


def quantity_question(turn: Turn, what: str) -> Question:
    rows = [[(str(n), f"n:{n}") for n in QUANTITIES], back_row(turn)]
    return question(turn, "job_quantity", rows, what=what, maximum=quotes.LINE_QUANTITY_MAX)


def pressed_quantity(value: str) -> int | None:
    quantity = number_in(value)
    return quantity if quantity in QUANTITIES else None


def quantity_of(text: str) -> int:
    return parse_quantity(text, maximum=quotes.LINE_QUANTITY_MAX)


# --- decline with a typed reason --------------------------------------------------------------

async def decline_other_start(turn: Turn, match) -> Next:
    card = await job_for(turn, int(match.group(1)), "decline")
    if card is None:
        return turn.end()
    begin(turn, card)
    return turn.goto("reason")


async def ask_reason(turn: Turn) -> Question:
    return question(turn, "job_decline_type", number=turn.draft["number"],
                    minimum=jobs.REASON_MIN, maximum=jobs.REASON_MAX)


async def decline_typed(turn: Turn, text: str) -> Next:
    d = turn.draft
    reason = typed("reason", minimum=jobs.REASON_MIN, maximum=jobs.REASON_MAX,
                   multiline=True)(text)
    event = await jobs.decline(turn.uow, turn.user, d["order"], reason)
    log.info("order %s declined in chat (event %s)", d["number"], event.id)
    turn.say("job_declined", number=d["number"], reason=reason)
    return turn.end()


def decline_refused(turn: Turn, error: DomainError) -> Next:
    """A reason that is not one is asked again; any other refusal ends it."""
    nxt = refused(turn, error)
    return nxt if isinstance(error, InvalidInput) else turn.end()


DECLINE = job_flow(
    "job_decline", "jx",
    entries=[Entry(decline_other_start, press=rf"^jb:dr:({ID}):other$")],
    steps={"reason": Step(ask_reason, text=decline_typed)},
    refused=decline_refused,
)


