"""Technicians: choosing their appliance categories and service areas after joining (steps of
the registration flow, handlers.common)."""
from __future__ import annotations

from core import people
from core.errors import InvalidInput
from core.lifecycle import APPLIANCE_CATEGORIES, TECHNICIAN

from .flow import Next, Question, Step, Turn
from .menus import say_menu


def _toggle(chosen: list, value) -> None:
    chosen.remove(value) if value in chosen else chosen.append(value)


async def ask_skills(turn: Turn) -> Question:
    chosen = set(turn.draft.setdefault("skills", []))
    rows = [[(("✅ " if c in chosen else "") + turn.label(f"category.{c}"), c)]
            for c in APPLIANCE_CATEGORIES]
    rows.append([(turn.label("button.done"), "done")])
    return Question("pick_skills", rows, nav=False)


async def skill_pressed(turn: Turn, value: str) -> Next:
    if value == "done":
        try:
            await people.set_skills(turn.uow, turn.user, turn.draft.get("skills", []))
        except InvalidInput:
            turn.toast("toast.choose_one")
            return turn.stay()
        turn.replace("skills_saved",
                     skills=[turn.label(f"category.{c}") for c in turn.draft["skills"]])
        turn.draft["areas"] = []
        return turn.goto("areas")
    if value not in APPLIANCE_CATEGORIES:
        turn.toast("toast.stale_button")
        return turn.stay()
    _toggle(turn.draft.setdefault("skills", []), value)
    return turn.refresh()


async def ask_areas(turn: Turn) -> Question:
    chosen = set(turn.draft.setdefault("areas", []))
    areas = turn.desk.company.service_areas
    # Areas go by their position: a name may be longer than callback data allows.
    rows = [[(("✅ " if a in chosen else "") + a, str(i))] for i, a in enumerate(areas)]
    rows.append([(turn.label("button.done"), "done")])
    return Question("pick_areas", rows, nav=False)


async def area_pressed(turn: Turn, value: str) -> Next:
    if value == "done":
        try:
            await people.set_areas(turn.uow, turn.user, turn.draft.get("areas", []))
        except InvalidInput:
            turn.toast("toast.choose_one")
            return turn.stay()
        turn.replace("areas_saved", areas=turn.draft["areas"])
        say_menu(turn, TECHNICIAN, turn.user.name)
        return turn.end()
    areas = turn.desk.company.service_areas
    if not value.isdigit() or int(value) >= len(areas):  # forged, or the areas changed
        turn.toast("toast.stale_button")
        return turn.stay()
    _toggle(turn.draft.setdefault("areas", []), areas[int(value)])
    return turn.refresh()


SETUP_STEPS = {
    "skills": Step(ask=ask_skills, press=skill_pressed),
    "areas": Step(ask=ask_areas, press=area_pressed),
}
