"""`python -m bot import-parts | import-labour | import-history FILE.csv`: brings the schema
up to date, imports the file in one unit of work, and returns (exit code, what to print):
0 imported, 1 rows refused (nothing imported), 2 the file could not be read."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import IntegrityError

from core import labour_import, parts_import, triage_import
from core.db import make_engine, make_session_factory
from core.migrate import upgrade

from .bootstrap import make_desk


async def run_parts_import(database_url: str, path: str | Path, *, update: bool = False,
                           clock=None) -> tuple[int, str]:
    return await _run(database_url, path, clock,
                      lambda uow, text: parts_import.import_parts(uow, None, text, update=update),
                      lambda result: parts_import.describe(result, str(path), parts_import.PARTS),
                      parts_import.PARTS.things)


async def run_labour_import(database_url: str, path: str | Path, *, update: bool = False,
                            clock=None) -> tuple[int, str]:
    spec = labour_import.LABOUR
    return await _run(database_url, path, clock,
                      lambda uow, text: labour_import.import_labour(uow, None, text,
                                                                   update=update),
                      lambda result: parts_import.describe(result, str(path), spec),
                      spec.things)


async def run_history_import(database_url: str, path: str | Path, *,
                             clock=None) -> tuple[int, str]:
    return await _run(database_url, path, clock,
                      lambda uow, text: triage_import.import_history(uow, None, text),
                      lambda result: triage_import.describe(result, str(path)), "past jobs")


async def _run(database_url, path, clock, importer, describe, things) -> tuple[int, str]:
    try:
        text = parts_import.read_file(path)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return 2, f"cannot read {path}: {reason}"
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with make_desk(make_session_factory(engine), clock=clock).uow() as uow:
            result = await importer(uow, text)
            if not result.ok:
                return 1, describe(result)
            try:
                await uow.commit()
            except IntegrityError:
                return 1, (f"{path}: nothing imported: one of these {things} was added "
                           "meanwhile; run the import again.")
            return 0, describe(result)
    finally:
        await engine.dispose()
