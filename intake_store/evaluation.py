"""How well the category model and routing do on labelled complaints.

Plain functions over (case, prediction) pairs; `bench/nlu_report.py` prints
them and `tests/test_category_model.py` holds the development figures to
their targets.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .category_model import OTHER, Prediction
from .realcases import RealCase
from .routing import Route

LOCAL = "local"


def acceptable_accuracy(cases: Sequence[RealCase], preds: Sequence[Prediction]) -> float:
    return sum(p.category in c.acceptable for c, p in zip(cases, preds)) / len(cases)


def f1_scores(truth: Sequence[str], guess: Sequence[str]) -> dict[str, float]:
    """F1 per label that occurs in the truth."""
    scores = {}
    for label in sorted(set(truth)):
        tp = sum(t == label and g == label for t, g in zip(truth, guess))
        fp = sum(t != label and g == label for t, g in zip(truth, guess))
        fn = sum(t == label and g != label for t, g in zip(truth, guess))
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


def macro_f1(truth: Sequence[str], guess: Sequence[str]) -> float:
    scores = f1_scores(truth, guess)
    return sum(scores.values()) / len(scores)


def dishonesty_f1(truth: Sequence[str], guess: Sequence[str]) -> float:
    """F1 of '政务失信' against ordinary matters (`other`)."""
    def side(code: str) -> str:
        return OTHER if code == OTHER else "dishonesty"
    return f1_scores([side(t) for t in truth], [side(g) for g in guess])["dishonesty"]


def route_hits(case: RealCase, route: Route, local_codes: set[str]) -> bool:
    """The lead or an assisting body is one a careful 派单员 would involve.
    `local` in a case matches any 区县/街道 government of the catalog."""
    wanted = set(case.departments)
    for code in (route.lead, *route.co):
        if code in wanted or (LOCAL in wanted and (code in local_codes or code == LOCAL)):
            return True
    return False


def worst_confusions(cases: Sequence[RealCase], preds: Sequence[Prediction], n: int = 10) -> list[tuple[str, str, int]]:
    """(truth, guess, count) for guesses outside the acceptable set, commonest first."""
    counts = Counter((c.category, p.category) for c, p in zip(cases, preds) if p.category not in c.acceptable)
    return [(t, g, k) for (t, g), k in counts.most_common(n)]


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    confidence: float   # mean confidence in the bin
    accuracy: float     # share right in the bin


def reliability(correct: Sequence[bool], confidence: Sequence[float], bins: int = 10) -> list[Bin]:
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidence) if low < c <= high or (b == 0 and c == 0)]
        if idx:
            table.append(Bin(low, high, len(idx), sum(confidence[i] for i in idx) / len(idx),
                             sum(correct[i] for i in idx) / len(idx)))
        else:
            table.append(Bin(low, high, 0, 0.0, 0.0))
    return table


def expected_calibration_error(table: Sequence[Bin]) -> float:
    total = sum(b.count for b in table)
    return sum(b.count / total * abs(b.accuracy - b.confidence) for b in table if b.count)
