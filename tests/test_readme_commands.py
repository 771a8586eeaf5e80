"""README's command table is true: every command the menus offer is in it, each handler module it
names handles that command, and imports each core service it names (command → handler module →
core service, two hops)."""
import re
from pathlib import Path

from handlers.menus import ROLE_COMMANDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_rows():
    table = README.split("### Each command", 1)[1]
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("command", "---"):
            yield cells


def paths(cell: str, package: str) -> list[Path]:
    return [ROOT / found for found in re.findall(rf"`({package}/[\w/]+\.py)`", cell)]


def test_the_table_names_every_command_of_the_menus():
    listed = {command for row in table_rows() for command in re.findall(r"`/(\w+)", row[0])}
    offered = {command for commands in ROLE_COMMANDS.values() for command in commands}
    assert offered - listed == set()


def test_each_handler_module_handles_its_commands_and_calls_the_core_services_named():
    rows = list(table_rows())
    assert len(rows) > 15
    for command_cell, _, handler_cell, core_cell in rows:
        modules = [path for path in paths(handler_cell, "handlers") + paths(handler_cell, "bot")]
        assert modules, command_cell
        sources = "\n".join(path.read_text(encoding="utf-8") for path in modules)
        for command in re.findall(r"`/(\w+)", command_cell):
            assert f'"{command}"' in sources, (command, handler_cell)
        imported = core_modules_imported(sources)
        for service in paths(core_cell, "core"):
            assert service.exists(), service
            assert service.stem in imported, (service.stem, handler_cell)


def core_modules_imported(source: str) -> set[str]:
    """The core modules a source imports: `from core import a, (b, c)` and `from core.d import`."""
    found = set(re.findall(r"^from core\.(\w+) import", source, re.M))
    for names in re.findall(r"^from core import (\([^)]*\)|[^\n]+)", source, re.M):
        found |= set(re.findall(r"\w+", names.split("#")[0]))
    return found
