"""Text normalisation for the Chinese NLU pipeline.

Citizens type on phones and PCs with Chinese input methods: full-width digits
and letters (１３８、ＰＰＰ), full-width punctuation, ideographic spaces, stray
control and zero-width characters. Featurisers should see one form of each,
but the message text must stay what the citizen typed (it is logged and
entity values are cut from it). So the normalisation lives inside the
tokenizer: jieba runs on the normalised text, every token keeps the
normalised text for featurisation, and its start/end are mapped back to the
original text. Entity spans, regex matches and the logged text all refer to
what the user typed.

Spaces between Chinese and Latin/digit runs are not inserted: jieba already
splits at those boundaries (我电话13812345678 → 我 / 电话 / 13812345678), and an
inserted space only adds a whitespace token. Whitespace tokens are dropped.

PersistedCRFEntityExtractor is Rasa's CRF entity extractor that also stores
the fitted CRF, so loading a model does not fit it again.

AlikeIntentsFallbackClassifier is Rasa's FallbackClassifier that does not
ask about a message torn between two intents the dialogue treats alike.

Runs in the rasa env: imports rasa (and what it ships) and the standard
library only.
"""
from __future__ import annotations

import shutil
import unicodedata
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

# Zero-width and formatting characters some keyboards and copy-paste leave behind.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def _normalise_char(ch: str) -> str:
    """One character in, its canonical form out ('' drops it, ' ' for any space)."""
    if ch in _INVISIBLE:
        return ""
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ""
    return unicodedata.normalize("NFKC", ch)


def normalise(text: str) -> Tuple[str, List[int]]:
    """NFKC per character, control characters removed, whitespace collapsed.

    Returns the normalised text and, for each of its characters, the index of
    the character of `text` it came from (so offsets can be mapped back).
    """
    out: List[str] = []
    origin: List[int] = []
    for index, ch in enumerate(text):
        for piece in _normalise_char(ch):
            if piece.isspace():
                # collapse runs and drop leading whitespace
                if not out or out[-1] == " ":
                    continue
                piece = " "
            out.append(piece)
            origin.append(index)
    while out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


def normalise_text(text: str) -> str:
    """The normalised form only (for tools and tests)."""
    return normalise(text)[0]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer that tokenizes a normalised copy of the text.

    Tokens carry the normalised word; their offsets point into the original
    text, which is left untouched on the message.
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        original = message.get(attribute)
        text, origin = normalise(original)
        tokens: List[Token] = []
        # HMM off: jieba's HMM glues unknown neighbours into one token (建说,
        # 年县) across entity edges; without it, half as many entity
        # annotations in the training data fall inside a token.
        for word, start, end in jieba.tokenize(text, HMM=False):
            if not word.strip():
                continue
            tokens.append(Token(word, origin[start], origin[end - 1] + 1))
        return self._apply_token_pattern(tokens)



@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class PersistedCRFEntityExtractor(CRFEntityExtractor):
    """CRFEntityExtractor whose fitted model is stored with the Rasa model.

    Rasa 3.6 stores only the CRF's training set and fits the CRF again every
    time a model is loaded: on a 2-core machine that is about 30 s of CPU at
    each start of the server or of the classify worker. Here crfsuite's own
    model file (not a pickle) is stored next to that training set and read
    back; a model without it falls back to fitting, as Rasa does.
    """

    def persist(self, dataset: List[List[CRFToken]]) -> None:
        super().persist(dataset)
        with self._model_storage.write_to(self._resource) as model_dir:
            for tag_name, tagger in (self.entity_taggers or {}).items():
                shutil.copyfile(tagger.modelfile.name, model_dir / _model_file(tag_name))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CRFEntityExtractor:
        import pycrfsuite
        import sklearn_crfsuite

        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order = rasa.shared.utils.io.read_json_file(model_dir / "crf_order.json")
                taggers: Dict[Text, Any] = OrderedDict()
                for tag_name in crf_order:
                    path = model_dir / _model_file(tag_name)
                    if not path.exists():
                        return super().load(config, model_storage, resource, execution_context, **kwargs)
                    # In memory: the unpacked model folder is deleted after
                    # loading. crfsuite reads the buffer in place, so the CRF
                    # object keeps a reference to it.
                    model = path.read_bytes()
                    tagger = pycrfsuite.Tagger()
                    tagger.open_inmemory(model)
                    crf = sklearn_crfsuite.CRF()
                    crf._tagger = tagger  # what CRF.tagger_ would open from a file
                    crf._model_bytes = model
                    taggers[tag_name] = crf
        except ValueError:
            return super().load(config, model_storage, resource, execution_context, **kwargs)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor


def _model_file(tag_name: Text) -> Text:
    return f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class AlikeIntentsFallbackClassifier(FallbackClassifier):
    """Rasa's FallbackClassifier, except that two intents the dialogue treats
    alike are no ambiguity: a story the NLU finds half complain, half inform
    starts the complaint either way, so "您是想反映……吗？" would only make the
    citizen say yes before being heard. Low confidence still falls back."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**FallbackClassifier.get_default_config(), "alike": [["complain", "inform"]]}

    def _nlu_prediction_ambiguous(self, message: Message) -> Tuple[bool, Optional[float]]:
        ambiguous, difference = super()._nlu_prediction_ambiguous(message)
        if ambiguous:
            ranking = message.data.get(INTENT_RANKING_KEY, [])
            top_two = {ranking[0].get(INTENT_NAME_KEY), ranking[1].get(INTENT_NAME_KEY)}
            if any(top_two <= set(group) for group in self.component_config["alike"]):
                return False, difference
        return ambiguous, difference
