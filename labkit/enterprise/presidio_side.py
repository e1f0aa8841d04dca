"""Microsoft Presidio beside :mod:`labkit.enterprise.pii`: the same labelled messages, the same scoring.

Presidio's analyzer is a registry of recognizers (regular expressions with checksums and context words,
plus a spaCy NER model for names, places and organisations) behind one ``AnalyzerEngine``. This module
runs it **patterns only**: no spaCy model can be installed offline here, so the engine gets Presidio's
own ``NoOpNlpEngine`` (no tokens, no lemmas, no named entities). What that costs Presidio:

* no ``PERSON`` or ``LOCATION`` at all (those come from the NER model), so no names and no addresses;
* no context words read from the text (the context enhancer needs lemmas), so weak patterns such as a
  bare nine-digit SSN keep their low base score instead of being raised by "SSN" nearby.

Three detectors are scored with :func:`labkit.enterprise.pii.evaluate` (IoU >= 0.5, same type):

* :func:`presidio_analyzer_engine` — Presidio's predefined English pattern recognizers (plus its UK
  National Insurance recognizer, which the default registry leaves out), entity names mapped onto
  labkit's types by :data:`ENTITY_MAP`; Presidio has no recogniser for API keys and secrets.
* ``pii.detect`` — labkit's rules.
* :func:`labkit_analyzer_engine` — labkit's rules *inside* Presidio, as one ``EntityRecognizer``
  (:func:`labkit_recognizer`) in an otherwise empty registry: the same numbers as ``pii.detect``, so a team
  on Presidio can adopt the rules without giving up its anonymizer, its API or its other recognizers.

tldextract, which Presidio's email recognizer calls, downloads the Public Suffix List on first use; the
engine here uses tldextract's bundled snapshot instead, so nothing is fetched.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from labkit.enterprise import pii
from labkit.guardrails.evaluate import wilson

__all__ = ["ENTITY_MAP", "LABKIT_TO_PRESIDIO", "SideBySide", "compare", "labkit_analyzer_engine",
           "labkit_in_presidio_detector", "labkit_recognizer", "presidio_analyzer_engine", "presidio_detector", "scored_table"]

# Presidio entity -> labkit type. Only these entities are asked for: Presidio's others (DATE_TIME, URL,
# UUID, US_BANK_NUMBER, ...) are not PII types of the labelled set, and asking for them would only add
# spans that no label can match.
ENTITY_MAP = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "card", "IBAN_CODE": "iban",
              "US_SSN": "national_id", "UK_NINO": "national_id", "IP_ADDRESS": "ip_address", "PERSON": "person",
              "LOCATION": "address"}
# labkit type -> the entity name labkit's recognizer reports inside Presidio.
LABKIT_TO_PRESIDIO = {"email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "card": "CREDIT_CARD", "iban": "IBAN_CODE",
                      "national_id": "NATIONAL_ID", "secret": "SECRET", "ip_address": "IP_ADDRESS",
                      "address": "STREET_ADDRESS", "person": "PERSON"}


def _no_model_nlp_engine() -> Any:
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none (no spaCy model installed)"}])
    engine.load()
    return engine


def _offline_email_recognizer() -> Any:
    """Presidio's EmailRecognizer, validating domains against tldextract's bundled suffix list (no download)."""
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer()


def presidio_analyzer_engine() -> Any:
    """Presidio's AnalyzerEngine with its predefined English pattern recognizers and no NLP model.

    Returns:
        a ``presidio_analyzer.AnalyzerEngine``; the default registry, its email recognizer swapped for
        the offline one, plus ``UkNinoRecognizer``.
    """
    import warnings

    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import UkNinoRecognizer

    nlp = _no_model_nlp_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=nlp, languages=["en"])
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(_offline_email_recognizer())
    registry.add_recognizer(UkNinoRecognizer())
    with warnings.catch_warnings():  # "context words cannot be read without lemmas": said in the docstring
        warnings.simplefilter("ignore", UserWarning)
        return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def presidio_detector(engine: Any, score_threshold: float = 0.0) -> Callable[[str], list[pii.Entity]]:
    """A detector for :func:`pii.evaluate` that runs a Presidio engine and maps its entities to labkit's.

    Args:
        engine: an ``AnalyzerEngine`` (e.g. :func:`presidio_analyzer_engine`).
        score_threshold: Presidio's minimum score; 0.0 is its default.

    Returns:
        text -> :class:`pii.Entity` list (subtype: the Presidio entity and its score).
    """
    def detect(text: str) -> list[pii.Entity]:
        found = engine.analyze(text=text, language="en", entities=list(ENTITY_MAP), score_threshold=score_threshold)
        return sorted((pii.Entity(ENTITY_MAP[r.entity_type], r.start, r.end, text[r.start:r.end],
                                  f"{r.entity_type}:{r.score:.2f}") for r in found), key=lambda e: (e.start, e.end))
    return detect


@functools.cache
def _labkit_recognizer_class() -> type:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class _Recognizer(EntityRecognizer):  # type: ignore[misc]
        """labkit's rules as one Presidio recognizer: every type at once, so labkit's overlap rules hold."""

        def __init__(self, names: str = "gazetteer") -> None:
            self.names = names
            super().__init__(supported_entities=list(LABKIT_TO_PRESIDIO.values()), name="LabkitRecognizer",
                             supported_language="en")

        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            wanted = set(entities or LABKIT_TO_PRESIDIO.values())
            return [RecognizerResult(LABKIT_TO_PRESIDIO[e.type], e.start, e.end, 1.0)
                    for e in pii.detect(text, names=self.names) if LABKIT_TO_PRESIDIO[e.type] in wanted]

    return _Recognizer


def labkit_recognizer(names: str = "gazetteer") -> Any:
    """labkit's rules as one Presidio ``EntityRecognizer`` (all types at once, so labkit's overlap rules hold).

    Args:
        names: ``pii.detect``'s names path, ``"gazetteer"`` or ``"rules"``.

    Returns:
        a recognizer reporting the entity names of :data:`LABKIT_TO_PRESIDIO`, score 1.0.
    """
    return _labkit_recognizer_class()(names=names)


def labkit_analyzer_engine(names: str = "gazetteer") -> Any:
    """An AnalyzerEngine whose only recognizer is labkit's rules (:func:`labkit_recognizer`).

    Args:
        names: ``pii.detect``'s names path, ``"gazetteer"`` or ``"rules"``.

    Returns:
        a ``presidio_analyzer.AnalyzerEngine``.
    """
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    registry = RecognizerRegistry(recognizers=[labkit_recognizer(names)], supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=_no_model_nlp_engine(), supported_languages=["en"])


def labkit_in_presidio_detector(engine: Any) -> Callable[[str], list[pii.Entity]]:
    """A detector for :func:`pii.evaluate` over :func:`labkit_analyzer_engine`, entity names mapped back."""
    back = {v: k for k, v in LABKIT_TO_PRESIDIO.items()}

    def detect(text: str) -> list[pii.Entity]:
        found = engine.analyze(text=text, language="en")
        return sorted((pii.Entity(back[r.entity_type], r.start, r.end, text[r.start:r.end]) for r in found),
                      key=lambda e: (e.start, e.end))
    return detect


def scored_table(scores: pii.PiiScores, detector: str) -> list[dict[str, Any]]:
    """Per-type rows with 95% Wilson intervals for precision and recall.

    Args:
        scores: from :func:`pii.evaluate`.
        detector: the name to put in each row.

    Returns:
        rows ``detector, type, labelled, predicted, tp, recall, recall_low, recall_high, precision,
        precision_low, precision_high``; the last row is type ``"all"``. Precision is None for a type
        the detector never predicted.
    """
    rows = []
    for s in [*scores.per_type.values(), scores.overall]:
        predicted = s.tp + s.fp
        r_lo, r_hi = wilson(s.tp, s.tp + s.fn)
        p_lo, p_hi = wilson(s.tp, s.tp + s.fp)
        rows.append({"detector": detector, "type": s.type, "labelled": s.tp + s.fn, "predicted": predicted,
                     "tp": s.tp, "recall": round(s.recall, 3), "recall_low": round(r_lo, 3),
                     "recall_high": round(r_hi, 3), "precision": round(s.precision, 3) if predicted else None,
                     "precision_low": round(p_lo, 3) if predicted else None,
                     "precision_high": round(p_hi, 3) if predicted else None})
    return rows


@dataclass
class SideBySide:
    """The detectors scored on one split.

    Attributes:
        scores: detector name -> :class:`pii.PiiScores`.
        rows: :func:`scored_table` rows of every detector, for a DataFrame.
    """

    scores: dict[str, pii.PiiScores]
    rows: list[dict[str, Any]]

    def recall(self, detector: str, etype: str = "all") -> float:
        """Recall of one detector on one type (``"all"``: micro-averaged); 0.0 where the type was never found."""
        s = self.scores[detector]
        score = s.overall if etype == "all" else s.per_type.get(etype)
        return score.recall if score is not None else 0.0


def compare(rows: Sequence[dict[str, Any]], detectors: Iterable[str] = ("presidio", "labkit", "labkit in presidio"),
            *, score_threshold: float = 0.0) -> SideBySide:
    """Score Presidio (patterns only), labkit and labkit-inside-Presidio on the same labelled rows.

    Args:
        rows: labelled messages, e.g. ``data.records("pii_labelled", "test")``.
        detectors: which of the three to run.
        score_threshold: Presidio's minimum score for its own recognizers.

    Returns:
        :class:`SideBySide`.
    """
    makers: dict[str, Callable[[], Callable[[str], list[pii.Entity]]]] = {
        "presidio": lambda: presidio_detector(presidio_analyzer_engine(), score_threshold),
        "labkit": lambda: functools.partial(pii.detect, names="gazetteer"),
        "labkit in presidio": lambda: labkit_in_presidio_detector(labkit_analyzer_engine()),
    }
    scores, table = {}, []
    for name in detectors:
        if name not in makers:
            raise ValueError(f"unknown detector {name!r}; choose from {list(makers)}")
        scores[name] = pii.evaluate(rows, detector=makers[name]())
        table += scored_table(scores[name], name)
    return SideBySide(scores, table)
