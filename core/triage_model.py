"""Likely faults and the parts to bring, learned from the company's own finished jobs.

Pure functions and plain data: no database, no clock, deterministic. core.triage reads the
history from the database and calls this; bench/triage.py replays a history through it.

What is learned. Each finished job says which parts it really used (catalogue SKUs with
quantities): that set of parts *is* the fault as far as the van is concerned ("drain pump",
"drain pump + filter", "no part: cleaned the filter"). The customer's words before the visit
are the evidence. A naive Bayes model per appliance category learns P(fault | words) from the
jobs closed so far: the words are the description's tokens (below), plus the brand and model
as tokens of their own, since a model's weak part is real knowledge. The name a technician
sees for a fault is the wording technicians used most for it in their diagnoses (preferring
the viewer's language), else the parts' names.

Tokens. Chinese is not segmented by a dictionary: runs of CJK characters give their single
characters and overlapping pairs (bigrams), which carry "不脱水" / "脱水" / "漏水" as well as
a segmenter does on short symptom texts and also survive typos and unknown words. Latin
words give themselves (lower case, a plural s or an -ing/-ed ending dropped) and their
character trigrams, so "drian" still meets "drain". bench/triage.py measured this against
jieba's segmentation on the shipped history (see bench/README.md): the same coverage for the
same number of parts, without jieba's 2-5 s dictionary load and ~70 MB in the bot's process.

Confidence. Naive Bayes is over-confident on many tokens, so the log-likelihood is tempered
(times SHARPNESS over the square root of the number of distinct tokens) before the softmax.
SHARPNESS is set by the replay so that a load's stated coverage is what it achieves (92.8 %
stated, 91.8 % achieved on the shipped history).

The van load. Given the posterior over faults, the load is grown greedily: at each step the
fault whose parts add the most covered probability per new part kind is added, until the
covered probability reaches `target` or the load holds `max_kinds` kinds. A fault that needs
no part is covered by any load. Each part's quantity is what most jobs of the faults that
need it used (the 90th percentile), so a "bring" line rarely falls short by one.

Too little history: a category with fewer than `min_jobs` learned jobs gets no suggestion
at all (status "too_little_history"), rather than a guess.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

MIN_JOBS = 30  # per category, before anything is suggested
TARGET = 0.9  # the covered probability a van load aims for
MAX_KINDS = 4  # part kinds in one load, at most
SHOW_FAULTS = 3
SHOW_MIN = 0.1  # faults less likely than this are not shown
CERTAIN = 0.99  # what history says is never quite certain
ALPHA = 0.5  # additive smoothing of the category's token counts
SHRINK = 4.0  # a fault's token shares count as if it had this many more average jobs
SHARPNESS = 0.5  # how far the words move the prior; 0.5 makes the stated coverage true (bench)
NAME_MAX = 40  # characters of a fault's name

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP = frozenset({"the", "a", "an", "is", "it", "and", "of", "to", "my", "i", "in", "on",
                  "with", "at", "be", "has", "have", "was", "this", "that", "there",
                  "very", "some", "when", "after", "its", "it's", "for", "but", "so"})


@dataclass(frozen=True)
class PastJob:
    """One finished job as a real company knows it: nothing but what was written down."""

    category: str
    description: str
    parts: tuple[tuple[str, int], ...]  # (SKU, quantity) really used
    brand: str | None = None
    model: str | None = None
    diagnosis: str | None = None  # the technician's words
    first_visit_fixed: bool | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class LikelyFault:
    parts: tuple[str, ...]  # the SKUs this fault needs; () fixed without a part
    name: str  # the technicians' most usual wording, or the parts' names
    probability: float


@dataclass(frozen=True)
class Suggestion:
    status: str  # ok, too_little_history, no_history
    category: str
    history: int  # jobs of the category learned from
    faults: tuple[LikelyFault, ...] = ()
    load: tuple[tuple[str, int], ...] = ()  # (SKU, quantity) to bring, most needed first
    covered: float = 0.0  # the probability the load holds every part the job will need

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _normal(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _stem(word: str) -> str:
    word = word.replace("'", "")
    for ending in ("ing", "ed", "es", "s"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def tokens(text: str | None) -> set[str]:
    """The description's tokens: CJK characters and character pairs, Latin words (stemmed)
    and their character trigrams."""
    text = _normal(text)
    found: set[str] = set()
    for run in CJK.findall(text):
        found.update(run)
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    for word in WORD.findall(CJK.sub(" ", text)):
        if word in STOP:
            continue
        stem = _stem(word)
        found.add("w:" + stem)
        padded = f"<{stem}>"
        if len(stem) > 2 and not stem.isdigit():
            found.update("t:" + padded[i:i + 3] for i in range(len(padded) - 2))
    return found


def _key(parts) -> tuple[str, ...]:
    return tuple(sorted({sku for sku, _ in parts}))


def _is_chinese(text: str) -> bool:
    return bool(CJK.search(text or ""))


def _short_name(text: str) -> str:
    text = " ".join((text or "").split())
    text = re.split(r"[。；;\n]|[,，](?=\s*(?:已|replaced|更换|换))", text, maxsplit=1)[0]
    text = text.strip(" ,，.。")
    return text if len(text) <= NAME_MAX else text[: NAME_MAX - 1] + "…"


@dataclass
class _Category:
    jobs: int = 0
    faults: Counter = field(default_factory=Counter)  # key -> jobs
    token_counts: dict = field(default_factory=lambda: defaultdict(Counter))  # key -> tokens
    totals: Counter = field(default_factory=Counter)  # token -> jobs of any fault
    quantities: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))
    names: dict = field(default_factory=lambda: defaultdict(lambda: {"zh": Counter(),
                                                                     "en": Counter()}))


class Triage:
    """The model: learns jobs one at a time (`learn`), suggests for a new order (`suggest`).
    Tokenising is the only cost of learning, so replaying thousands of jobs takes a second."""

    def __init__(self, *, min_jobs: int = MIN_JOBS, target: float = TARGET,
                 max_kinds: int = MAX_KINDS, sharpness: float = SHARPNESS, tokenizer=tokens):
        self.min_jobs, self.target, self.max_kinds = min_jobs, target, max_kinds
        self.sharpness = sharpness
        self.tokenizer = tokenizer
        self.categories: dict[str, _Category] = {}

    def _features(self, description, brand, model) -> set[str]:
        found = set(self.tokenizer(description))
        if brand and brand.strip():
            found.add("b:" + _normal(brand).strip())
            if model and model.strip():
                found.add("m:" + _normal(brand).strip() + "/" + _normal(model).strip())
        return found

    def learn(self, job: PastJob) -> None:
        if not job.category:
            return
        cat = self.categories.setdefault(job.category, _Category())
        key = _key(job.parts)
        cat.jobs += 1
        cat.faults[key] += 1
        features = self._features(job.description, job.brand, job.model)
        cat.token_counts[key].update(features)
        cat.totals.update(features)
        for sku, quantity in job.parts:
            cat.quantities[key][sku][max(1, int(quantity))] += 1
        if job.diagnosis and job.diagnosis.strip():
            name = _short_name(job.diagnosis)
            if name:
                cat.names[key]["zh" if _is_chinese(name) else "en"][name.casefold()] += 1
                cat.names[key].setdefault("text", {})[name.casefold()] = name

    def learn_all(self, jobs) -> Triage:
        for job in jobs:
            self.learn(job)
        return self

    def history(self, category: str) -> int:
        cat = self.categories.get(category)
        return cat.jobs if cat else 0

    def posterior(self, category: str, description: str | None, brand: str | None = None,
                  model: str | None = None) -> list[tuple[tuple[str, ...], float]]:
        """Each fault of the category with its probability, most likely first."""
        cat = self.categories.get(category)
        if cat is None or not cat.jobs:
            return []
        features = [f for f in self._features(description, brand, model)
                    if f in cat.totals]
        temper = self.sharpness / math.sqrt(max(1, len(features)))
        background = {f: (cat.totals[f] + ALPHA) / (cat.jobs + 2 * ALPHA) for f in features}
        scores = {}
        for key, jobs in cat.faults.items():
            counts = cat.token_counts[key]
            # Bernoulli-style: the share of this fault's jobs whose words held the token,
            # shrunk towards the category's share, so a fault seen twice cannot claim a
            # token on the strength of those two jobs alone.
            likelihood = sum(math.log((counts[f] + SHRINK * background[f]) / (jobs + SHRINK))
                             for f in features)
            scores[key] = math.log(jobs / cat.jobs) + likelihood * temper
        top = max(scores.values())
        weights = {key: math.exp(score - top) for key, score in scores.items()}
        total = sum(weights.values())
        return sorted(((key, w / total) for key, w in weights.items()),
                      key=lambda item: (-item[1], item[0]))

    def load_for(self, category: str,
                 posterior: list[tuple[tuple[str, ...], float]]) -> tuple[tuple, float]:
        """The van load (SKU, quantity) grown greedily over the posterior, and the probability
        it covers the job."""
        chosen: set[str] = set()
        covered = sum(p for key, p in posterior if not key)
        remaining = [(key, p) for key, p in posterior if key]
        while covered < self.target and remaining:
            best = None
            for key, p in remaining:
                new = set(key) - chosen
                if len(chosen) + len(new) > self.max_kinds:
                    continue
                # Probability newly covered by adding `key`'s parts: every remaining fault
                # whose parts would then all be on board.
                gain = sum(q for k, q in remaining if set(k) <= chosen | new)
                rate = gain / max(1, len(new))
                if best is None or rate > best[0] + 1e-12:
                    best = (rate, key, new, gain)
            if best is None:
                break
            _, key, new, gain = best
            chosen |= new
            covered += gain
            remaining = [(k, q) for k, q in remaining if not set(k) <= chosen]
        cat = self.categories[category]
        load = []
        for sku in chosen:
            needed: Counter = Counter()
            for key, counter in cat.quantities.items():
                if sku in counter:
                    needed.update(counter[sku])
            load.append((sku, _percentile(needed, 0.9)))
        weight = {sku: sum(p for key, p in posterior if sku in key) for sku in chosen}
        load.sort(key=lambda item: (-weight[item[0]], item[0]))
        return tuple(load), min(1.0, covered)

    def name_of(self, category: str, key: tuple[str, ...], language: str,
                part_names: dict[str, str]) -> str:
        names = self.categories[category].names.get(key)
        if names:
            for lang in (language, "en" if language == "zh" else "zh"):
                if names[lang]:
                    best = max(names[lang].items(), key=lambda item: (item[1], item[0]))[0]
                    return names["text"][best]
        if not key:
            return ""
        return " + ".join(part_names.get(sku, sku) for sku in key)

    def suggest(self, category: str, description: str | None, brand: str | None = None,
                model: str | None = None, *, language: str = "zh",
                part_names: dict[str, str] | None = None) -> Suggestion:
        jobs = self.history(category)
        if jobs < self.min_jobs:
            return Suggestion("too_little_history" if jobs else "no_history", category, jobs)
        posterior = self.posterior(category, description, brand, model)
        load, covered = self.load_for(category, posterior)
        part_names = part_names or {}
        faults = tuple(
            LikelyFault(key, self.name_of(category, key, language, part_names),
                        min(CERTAIN, round(p, 2)))
            for key, p in posterior[:SHOW_FAULTS] if p >= SHOW_MIN)
        return Suggestion("ok", category, jobs, faults, load, min(CERTAIN, round(covered, 2)))


def _percentile(counter: Counter, share: float) -> int:
    total = sum(counter.values())
    if not total:
        return 1
    running = 0
    for quantity in sorted(counter):
        running += counter[quantity]
        if running >= share * total:
            return quantity
    return max(counter)


def covers(load, parts) -> bool:
    """Whether a van load (SKU, quantity) holds every part a job used."""
    have = dict(load)
    need: Counter = Counter()
    for sku, quantity in parts:
        need[sku] += quantity
    return all(have.get(sku, 0) >= quantity for sku, quantity in need.items())
