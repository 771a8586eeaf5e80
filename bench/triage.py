"""What to load on the van: our suggester replayed over a company's history, in time order.

    python bench/triage.py [--history bench/triage_history.csv] [--tokenizer chars|jieba]

For each job of the history (oldest first), the suggester learns only from the jobs closed
before it (core.triage_model.Triage), then suggests a van load from the job's category,
brand, model and the customer's words. A load "covers" the job when it holds every part the
job really used, in the quantities used (a job that used no part is covered by any load).
Two baselines in the same run, on the same jobs:
  - standard van: no suggestion; the technician carries the company's 6 most used part kinds
    (of any appliance, from the jobs so far), one of each, two of a part jobs used two of;
  - category's top 3: the 3 part kinds most used so far in the job's category.
Only jobs whose category had at least `MIN_JOBS` earlier jobs are scored (before that our
suggester says "too little history" and the baselines have little to go on either); the
rest are counted as warm-up. The file is read with the import's own reader
(core.triage_import.read_rows), the same the company's file goes through.

Prints a table per category and overall (coverage, average part kinds loaded), the time to
learn the whole history and per suggestion; writes JSON to bench/results/triage.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.triage_import import read_rows  # noqa: E402
from core.triage_model import MIN_JOBS, PastJob, Triage, covers, tokens  # noqa: E402

STANDARD_VAN_KINDS = 6
CATEGORY_TOP = 3


def jieba_tokens(text):
    import jieba

    found = set()
    for word in jieba.lcut((text or "").casefold()):
        word = word.strip()
        if word and not all(ch in " ,，.。!！?？;；:：、" for ch in word):
            found.add("j:" + word)
    return found


def _load(counts: Counter, quantities: dict, kinds: int) -> tuple:
    return tuple((sku, max(quantities[sku])) for sku, _ in
                 sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:kinds])


def replay(jobs: list[PastJob], tokenizer=tokens, **options) -> dict:
    model = Triage(tokenizer=tokenizer, **options)
    everywhere: Counter = Counter()
    by_category: dict[str, Counter] = defaultdict(Counter)
    quantities: dict[str, Counter] = defaultdict(Counter)
    usual: dict[str, int] = {}
    stats = defaultdict(lambda: Counter())
    timings = []
    learn_time = 0.0
    for job in jobs:
        seen = model.history(job.category)
        s = stats[job.category]
        if seen >= MIN_JOBS:
            started = time.perf_counter()
            suggestion = model.suggest(job.category, job.description, job.brand, job.model)
            timings.append(time.perf_counter() - started)
            most_used = sorted(everywhere.items(), key=lambda i: (-i[1], i[0]))
            van = tuple((sku, usual[sku]) for sku, _ in most_used[:STANDARD_VAN_KINDS])
            top = tuple((sku, usual[sku]) for sku, _ in
                        sorted(by_category[job.category].items(),
                               key=lambda i: (-i[1], i[0]))[:CATEGORY_TOP])
            s["scored"] += 1
            s["ours"] += covers(suggestion.load, job.parts)
            s["ours_kinds"] += len(suggestion.load)
            s["ours_expected"] += suggestion.covered
            s["van"] += covers(van, job.parts)
            s["van_kinds"] += len(van)
            s["top"] += covers(top, job.parts)
            s["top_kinds"] += len(top)
            s["fault_hit"] += bool(suggestion.faults) and \
                suggestion.faults[0].parts == tuple(sorted(sku for sku, _ in job.parts))
            s["first_visit_fixed"] += bool(job.first_visit_fixed)
        else:
            s["warmup"] += 1
        started = time.perf_counter()
        model.learn(job)
        learn_time += time.perf_counter() - started
        for sku, quantity in job.parts:
            everywhere[sku] += 1
            by_category[job.category][sku] += 1
            quantities[sku][quantity] += 1
            usual[sku] = _usual(quantities[sku])
    return {"stats": stats, "timings": timings, "learn_time": learn_time, "jobs": len(jobs)}


def _usual(counter: Counter) -> int:
    total, running = sum(counter.values()), 0
    for quantity in sorted(counter):
        running += counter[quantity]
        if running >= 0.9 * total:
            return quantity
    return max(counter)


def table(result: dict) -> tuple[str, dict]:
    stats = result["stats"]
    total = Counter()
    for s in stats.values():
        total.update(s)
    lines = [f"{'category':<16}{'jobs':>6}{'ours':>8}{'kinds':>7}{'std van':>9}{'kinds':>7}"
             f"{'top 3':>8}{'kinds':>7}{'1st fault':>10}{'hist. FTF':>10}"]
    out = {}

    def row(name, s):
        n = s["scored"] or 1
        figures = {
            "scored": s["scored"], "warmup": s["warmup"],
            "ours": s["ours"] / n, "ours_kinds": s["ours_kinds"] / n,
            "ours_expected": s["ours_expected"] / n,
            "standard_van": s["van"] / n, "standard_van_kinds": s["van_kinds"] / n,
            "category_top3": s["top"] / n, "category_top3_kinds": s["top_kinds"] / n,
            "first_fault_right": s["fault_hit"] / n,
            "history_first_visit_fixed": s["first_visit_fixed"] / n}
        out[name] = figures
        lines.append(
            f"{name:<16}{s['scored']:>6}{figures['ours']:>8.1%}{figures['ours_kinds']:>7.2f}"
            f"{figures['standard_van']:>9.1%}{figures['standard_van_kinds']:>7.2f}"
            f"{figures['category_top3']:>8.1%}{figures['category_top3_kinds']:>7.2f}"
            f"{figures['first_fault_right']:>10.1%}{figures['history_first_visit_fixed']:>10.1%}")

    for name in sorted(stats):
        row(name, stats[name])
    row("ALL", total)
    return "\n".join(lines), out


async def on_database(history: Path, parts: Path) -> dict:
    """The service as the bot calls it for a card: the history imported into a fresh SQLite
    database (through import-parts and import-history), then one order's suggestion with the
    category's model built from the database (cold) and from the cache (warm)."""
    import tempfile
    from core import people
    from core.models import Appliance
    from core.orders import create_order
    from core.db import make_engine, make_session_factory
    from bot.bootstrap import make_desk
    from core.desk import CompanySettings
    from core.migrate import upgrade
    from core.parts_import import import_parts
    from core.triage import for_order
    from core.triage_import import import_history

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade(engine)
        desk = make_desk(make_session_factory(engine), CompanySettings())
        async with desk.uow() as uow:
            assert (await import_parts(uow, None, parts.read_text("utf-8"))).ok
            assert (await import_history(uow, None, history.read_text("utf-8-sig"))).ok
            customer = await people.ensure_user(uow, 1)
            await people.register_customer(uow, customer, "Bench", "13800138000")
            appliance = Appliance(owner_id=customer.id, category="washing_machine",
                                  brand="海尔", model="EG100")
            uow.session.add(appliance)
            await uow.session.flush()
            order = await create_order(uow, customer, "repair", category="washing_machine",
                                       appliance_id=appliance.id,
                                       description="洗衣机不脱水，有嗡嗡声")
            await uow.commit()
        timings = {}
        for run in ("cold", "warm"):
            async with desk.uow() as uow:
                started = time.perf_counter()
                found = await for_order(uow, await uow.session.get(type(order), order.id))
                timings[run + "_ms"] = round(1000 * (time.perf_counter() - started), 1)
        await engine.dispose()
    timings["load"] = [(line.sku, line.quantity) for line in found.lines]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", default=str(ROOT / "bench" / "triage_history.csv"))
    parser.add_argument("--tokenizer", choices=("chars", "jieba"), default="chars")
    parser.add_argument("--target", type=float, default=None)
    parser.add_argument("--sharpness", type=float, default=None)
    parser.add_argument("--max-kinds", type=int, default=None)
    parser.add_argument("--parts", default=str(ROOT / "bench" / "triage_parts.csv"))
    parser.add_argument("--database", action="store_true",
                        help="also time one card's suggestion on a SQLite database")
    args = parser.parse_args()
    rows, errors, _ = read_rows(Path(args.history).read_text(encoding="utf-8-sig"))
    if errors:
        raise SystemExit(f"the history has bad rows: {errors[:3]}")
    rows.sort(key=lambda r: (r.closed_on, r.line))
    jobs = [PastJob(r.category, r.description, r.parts, r.brand, r.model, r.diagnosis,
                    r.first_visit_fixed) for r in rows]
    options = {k: v for k, v in (("target", args.target), ("sharpness", args.sharpness),
                                 ("max_kinds", args.max_kinds)) if v is not None}
    tokenizer = tokens
    load_time = 0.0
    if args.tokenizer == "jieba":
        started = time.perf_counter()
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        load_time = time.perf_counter() - started
        tokenizer = jieba_tokens
    result = replay(jobs, tokenizer, **options)
    text, figures = table(result)
    timings = sorted(result["timings"])
    speed = {"tokenizer": args.tokenizer, "tokenizer_load_s": round(load_time, 3),
             "learn_all_s": round(result["learn_time"], 3),
             "suggest_p50_ms": round(1000 * statistics.median(timings), 3),
             "suggest_p99_ms": round(1000 * timings[int(0.99 * (len(timings) - 1))], 3),
             "options": options}
    print(f"{result['jobs']} jobs replayed in time order; scored once a category had "
          f"{MIN_JOBS} earlier jobs. Coverage: the share of jobs whose every used part was "
          "in the load.")
    print(text)
    print(f"tokenizer {args.tokenizer} (load {speed['tokenizer_load_s']} s); learning all "
          f"jobs {speed['learn_all_s']} s; one suggestion p50 {speed['suggest_p50_ms']} ms, "
          f"p99 {speed['suggest_p99_ms']} ms")
    if args.database:
        import asyncio

        speed["database"] = asyncio.run(on_database(Path(args.history), Path(args.parts)))
        print(f"on SQLite with the whole history imported: one order's suggestion "
              f"{speed['database']['cold_ms']} ms building the category's model, "
              f"{speed['database']['warm_ms']} ms with it cached "
              f"(load {speed['database']['load']})")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "triage.json").write_text(json.dumps({"figures": figures, "speed": speed},
                                                indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
