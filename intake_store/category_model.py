"""The complaint category model: what a whole complaint is about.

Separate from the dialogue NLU on purpose: Rasa decides what a turn is (a
complaint, an answer, a contact, stop …); this model reads the complaint's
whole text (the first message plus what the form gathered) and answers one of
the 19 categories, `other` being an ordinary 12345 matter. It is trained on
complaint texts only: the chat-style examples in `nlu_data/train/complaint_*.yml`
(and the turns that are no complaint, as ordinary matters), the look-alike
pairs in `nlu_data/category/`, and the training part of the real cases
(`realcases`).

Character n-grams (Chinese has no spaces, and an unseen body name or a typo
still shares most of its characters) and jieba word n-grams (拖欠 and 欠条,
镇政府 and 政府采购 are different words sharing characters), both with
sublinear TF-IDF, and a multinomial logistic regression. Its probabilities are calibrated by one temperature fitted
on out-of-fold predictions (folds by source), so "0.8" means right about eight
times in ten and the auto-dispatch threshold means what it says.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jieba
import joblib
import numpy as np
import yaml
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion

from vocabulary.categories import OTHER

from . import realcases

ROOT = Path(__file__).resolve().parent.parent
CHAT_DIR = ROOT / "nlu_data" / "train"
# Examples for this model only: look-alike pairs that differ in who owes.
CATEGORY_DIR = ROOT / "nlu_data" / "category"
MODEL_PATH = ROOT / "models" / "category.joblib"
# Real texts count more than chat-style ones: they are what citizens write.
REAL_WEIGHT = 2.0
MIN_REAL_FOR_CALIBRATION = 50

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([a-z_]+\)")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def normalize(text: str) -> str:
    """Full-width to half-width, one case, numbers as one token, no annotations."""
    text = _ANNOTATION.sub(r"\1", text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGITS.sub("0", text)
    return " ".join(text.split())


jieba.setLogLevel(logging.WARNING)


def words(text: str) -> list[str]:
    return [w for w in jieba.lcut(normalize(text)) if w.strip()]


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    group: str          # examples of one group are never split across folds
    weight: float = 1.0


@dataclass(frozen=True)
class Prediction:
    category: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]   # best first

    @property
    def dishonesty(self) -> float:
        """Probability that this is a 政务失信 complaint at all."""
        return round(1.0 - dict(self.ranking).get(OTHER, 0.0), 4)

    def as_dict(self, top: int = 3) -> dict:
        return {
            "category": self.category,
            "confidence": self.confidence,
            "dishonesty": self.dishonesty,
            "ranking": [{"category": c, "probability": p} for c, p in self.ranking[:top]],
        }


# Turns that are no complaint at all: whatever reaches the model by mistake
# (a greeting, chit-chat, a question about something else) is an ordinary matter.
NOT_COMPLAINTS = ("greet", "chitchat", "out_of_scope", "bot_challenge", "query_status")


def _examples(block: dict) -> list[str]:
    lines = (line.strip().removeprefix("- ").strip() for line in str(block.get("examples") or "").splitlines())
    return [line for line in lines if line]


def chat_examples(folder: Path = CHAT_DIR) -> list[Example]:
    """The chat-style complaint examples (one block per category, in Rasa's
    format), and the conversational turns that are no complaint, as `other`."""
    examples: list[Example] = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent")
            category = (block.get("metadata") or {}).get("category") if intent == "complain" else None
            if intent in NOT_COMPLAINTS:
                category = OTHER
            if category:
                examples += [Example(t, category, f"{path.name}:{intent}:{n // 5}")
                             for n, t in enumerate(_examples(block))]
    return examples


def real_examples(cases: list[realcases.RealCase]) -> list[Example]:
    return [Example(c.text, c.category, realcases.source_key(c.source), REAL_WEIGHT) for c in cases]


def training_examples() -> list[Example]:
    cases = realcases.part(realcases.load(), realcases.TRAIN)
    return chat_examples() + chat_examples(CATEGORY_DIR) + real_examples(cases)


def _vectorizer() -> FeatureUnion:
    chars = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_df=0.9,
        preprocessor=normalize, dtype=np.float32,
    )
    word_ngrams = TfidfVectorizer(
        tokenizer=words, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True, min_df=2,
        dtype=np.float32,
    )
    return FeatureUnion([("chars", chars), ("words", word_ngrams)])


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=20.0, class_weight="balanced", max_iter=5000, tol=1e-5)


def _fit(examples: list[Example]):
    vec = _vectorizer()
    x = vec.fit_transform([e.text for e in examples])
    clf = _classifier()
    clf.fit(x, [e.category for e in examples], sample_weight=[e.weight for e in examples])
    return vec, clf


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The one temperature that makes out-of-fold probabilities honest (least NLL)."""
    def nll(t: float) -> float:
        return float(-log_softmax(logits / t, axis=1)[np.arange(len(truth)), truth].mean())
    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


class CategoryModel:
    def __init__(self, vectorizer: FeatureUnion, classifier: LogisticRegression, temperature: float,
                 fingerprint: str = ""):
        self.vectorizer, self.classifier = vectorizer, classifier
        self.temperature, self.fingerprint = temperature, fingerprint
        self.categories: list[str] = list(classifier.classes_)

    @classmethod
    def train(cls, examples: list[Example], folds: int = 5, fingerprint: str = "") -> "CategoryModel":
        labels = sorted({e.category for e in examples})
        index = {c: i for i, c in enumerate(labels)}
        logits = np.zeros((len(examples), len(labels)), dtype=np.float64)
        groups = [e.group for e in examples]
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(examples, groups=groups):
            vec, clf = _fit([examples[i] for i in train_idx])
            fold_logits = clf.decision_function(vec.transform([examples[i].text for i in test_idx]))
            cols = [index[c] for c in clf.classes_]
            logits[np.ix_(test_idx, cols)] = fold_logits
        truth = np.array([index[e.category] for e in examples])
        # Calibrate on the real texts when there are enough: chat-style
        # examples are easier and would make the model sure of itself.
        real = np.array([e.weight == REAL_WEIGHT for e in examples])
        rows = real if real.sum() >= MIN_REAL_FOR_CALIBRATION else np.ones(len(examples), dtype=bool)
        temperature = fit_temperature(logits[rows], truth[rows])
        vec, clf = _fit(examples)
        return cls(vec, clf, temperature, fingerprint)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        logits = self.classifier.decision_function(self.vectorizer.transform(texts))
        return softmax(logits / self.temperature, axis=1)

    def predict_many(self, texts: list[str]) -> list[Prediction]:
        out = []
        for row in self.probabilities(texts):
            order = np.argsort(-row)
            ranking = tuple((self.categories[i], round(float(row[i]), 4)) for i in order)
            out.append(Prediction(ranking[0][0], ranking[0][1], ranking))
        return out

    def predict(self, text: str) -> Prediction:
        return self.predict_many([text])[0]

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump(self, tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "CategoryModel":
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds no category model")
        return model


def data_fingerprint(examples: list[Example]) -> str:
    """Changes when the data or this module's settings change: then retrain."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(json.dumps([(e.text, e.category, e.group, e.weight) for e in examples], ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def ensure_trained(path: Path = MODEL_PATH) -> CategoryModel:
    """The model for the current data: loaded when it is up to date, else trained (seconds)."""
    examples = training_examples()
    fingerprint = data_fingerprint(examples)
    if path.exists():
        try:
            model = CategoryModel.load(path)
        except Exception:  # an unreadable or foreign file is simply trained again
            model = None
        if model is not None and model.fingerprint == fingerprint:
            return model
    model = CategoryModel.train(examples, fingerprint=fingerprint)
    model.save(path)
    return model


_loaded: CategoryModel | None = None


def get_model() -> CategoryModel:
    """The process's one model, trained on first use when missing or stale."""
    global _loaded
    if _loaded is None:
        _loaded = ensure_trained()
    return _loaded
