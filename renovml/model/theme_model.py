"""Features -> themes: the fitted classifier, its thresholds, and tagging an article."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from renovml.model.context import is_heading, with_context
from renovml.model.inputs import as_inputs
from renovml.text.sections import UNITS, Article, Section, sections
from renovml.themes import THEMES

__all__ = ["SectionThemes", "TaggedArticle", "ThemeModel", "rollup"]


def rollup(proba: np.ndarray, paragraph_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paragraph scores from sentence scores: for each paragraph id in ``paragraph_of``,
    the largest score of its sentences in each column. Returns (paragraph ids, scores)."""
    ids, inverse = np.unique(paragraph_of, return_inverse=True)
    out = np.zeros((len(ids), proba.shape[1]))
    np.maximum.at(out, inverse, proba)
    return ids, out


@dataclass(frozen=True)
class SectionThemes:
    """One tagged section: where it is, its themes, and a score per theme."""

    section: Section
    themes: list[str]
    scores: dict[str, float]

    def as_record(self) -> dict:
        s = self.section
        return {"section_id": s.id, "unit": s.unit, "start": s.start, "end": s.end,
                "text": s.text, "themes": list(self.themes),
                **{f"score_{t}": round(float(v), 4) for t, v in self.scores.items()}}


@dataclass(frozen=True)
class TaggedArticle:
    """An article's tagged sections and its summary: the share of sections per theme."""

    article: Article
    unit: str
    sections: list[SectionThemes]
    summary: dict[str, float] = field(default_factory=dict)

    @property
    def dominant_themes(self) -> list[str]:
        """Themes carried by at least a quarter of the sections, strongest first."""
        ranked = sorted(self.summary.items(), key=lambda kv: -kv[1])
        return [t for t, share in ranked if share >= 0.25]

    def __str__(self) -> str:
        lines = [f"{len(self.sections)} {self.unit}s; share per theme: "
                 + ", ".join(f"{t} {v:.2f}" for t, v in self.summary.items())]
        for st in self.sections:
            lines.append(f"[{st.section.id} {st.section.start}:{st.section.end}] "
                         f"{','.join(st.themes) or '-'}  {st.section.text[:40]}")
        return "\n".join(lines)


class ThemeModel:
    """The fitted theme classifier.

    Use :func:`renovml.load` to get one. ``themes`` are the score columns'
    ids; ``thresholds`` and ``paragraph_thresholds`` the per-theme decision
    thresholds for sentences and paragraphs, tuned on out-of-fold predictions.

    Scores come from ``scorer`` (and ``paragraph_scorer``), the classifier compiled
    to arrays (:mod:`renovml.model.compiled`): predicting needs numpy, not
    scikit-learn. ``classifier`` is the fitted :class:`~renovml.ThemeClassifier`
    itself, for scikit-learn work; a loaded model unpickles it on first use.
    """

    def __init__(self, *, thresholds: Sequence[float], classifier=None, scorer=None,
                 paragraph_thresholds: Sequence[float] | None = None,
                 themes: Sequence[str] = THEMES, paragraph_mode: str = "aggregate",
                 paragraph_classifier=None, paragraph_scorer=None,
                 estimators: bytes | None = None, metadata: dict | None = None):
        if tuple(themes) != THEMES:
            raise ValueError(f"themes must be {THEMES}, got {tuple(themes)}")
        if paragraph_mode not in ("aggregate", "direct"):
            raise ValueError(f"paragraph_mode must be 'aggregate' or 'direct', "
                             f"got {paragraph_mode!r}")
        if scorer is None or (paragraph_scorer is None and paragraph_classifier is not None):
            from renovml.model.compiled import compile_classifier

            if scorer is None:
                if classifier is None:
                    raise ValueError("ThemeModel needs a fitted classifier or its compiled scorer")
                scorer = compile_classifier(classifier)
            if paragraph_scorer is None and paragraph_classifier is not None:
                paragraph_scorer = compile_classifier(paragraph_classifier)
        if paragraph_mode == "direct" and paragraph_scorer is None:
            raise ValueError("paragraph_mode='direct' needs a paragraph_classifier")
        self.scorer = scorer
        self.paragraph_scorer = paragraph_scorer
        self._classifier = classifier
        self._paragraph_classifier = paragraph_classifier
        self._estimators = estimators
        self.paragraph_mode = paragraph_mode
        self.thresholds = np.asarray(thresholds, dtype=float)
        self.paragraph_thresholds = np.asarray(
            thresholds if paragraph_thresholds is None else paragraph_thresholds, dtype=float)
        self.themes = list(themes)
        self.metadata = dict(metadata or {})

    def _unpickle_estimators(self) -> None:
        if self._classifier is None and self._estimators is not None:
            import pickle

            # The bytes come from the artifact that load() verified and was told to trust.
            fitted = pickle.loads(self._estimators)
            self._classifier = fitted["classifier"]
            self._paragraph_classifier = fitted["paragraph_classifier"]

    @property
    def classifier(self):
        """The fitted :class:`~renovml.ThemeClassifier` (None if the model has none)."""
        self._unpickle_estimators()
        return self._classifier

    @property
    def paragraph_classifier(self):
        """The fitted paragraph classifier of ``paragraph_mode="direct"``, else None."""
        self._unpickle_estimators()
        return self._paragraph_classifier

    def estimators_pickle(self) -> bytes | None:
        """The fitted estimators as the artifact stores them (None if the model has none)."""
        if self._estimators is not None:
            return self._estimators
        if self._classifier is None:
            return None
        import pickle

        return pickle.dumps({"classifier": self._classifier,
                             "paragraph_classifier": self._paragraph_classifier}, protocol=4)

    def __repr__(self) -> str:
        th = ", ".join(f"{t}={v:.2f}" for t, v in zip(self.themes, self.thresholds))
        return f"ThemeModel(themes={self.themes}, thresholds=({th}))"

    # --- scores -----------------------------------------------------------
    def predict_proba(self, texts, *, unit: str = "sentence") -> np.ndarray:
        """Probability of each theme for each text.

        Parameters
        ----------
        texts : sequence of str (or dicts with ``text``, ``heading``, ``prev``, ``next``)
        unit : {"sentence", "paragraph"}
            The kind of section the texts are; paragraphs use the paragraph model.

        Returns
        -------
        numpy.ndarray of shape (n_texts, 4)
            Columns in the order of :attr:`themes`.
        """
        if isinstance(texts, (str, dict)):
            raise TypeError("predict_proba expects a sequence of texts, got a single "
                            f"{type(texts).__name__}; wrap it in a list")
        inputs = as_inputs(texts)
        if not inputs:
            return np.zeros((0, len(self.themes)))
        if unit == "paragraph" and self.paragraph_mode == "direct":
            return self.paragraph_scorer.predict_proba(inputs)
        if unit == "paragraph":
            return self._paragraphs_from_sentences(inputs)
        if unit != "sentence":
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        return self.scorer.predict_proba(inputs)

    def _paragraphs_from_sentences(self, inputs: list[dict]) -> np.ndarray:
        """Split each paragraph into sentences, score them all in one pass, roll up."""
        from renovml.text.cleaning import clean
        from renovml.text.sections import sections

        sentence_inputs, owner = [], []
        for i, x in enumerate(inputs):
            text = clean(x["text"])
            parts = [s.text for s in sections(text, "sentence")] or [text]
            sentence_inputs += with_context([parts], "sentence", clean=True)
            owner += [i] * len(parts)
        return rollup(self.scorer.predict_proba(sentence_inputs), np.array(owner))[1]

    def predict(self, texts, *, unit: str = "sentence") -> list[list[str]]:
        """The themes of each text: those whose probability reaches its threshold."""
        proba = self.predict_proba(texts, unit=unit)
        return self._themes_of(proba, self.thresholds_for(unit))

    @property
    def segments_words(self) -> bool:
        """Whether scoring segments words (a model of character n-grams alone never does,
        so it never loads a segmenter)."""
        return any(part.kind == "words" for scorer in (self.scorer, self.paragraph_scorer)
                   if scorer is not None for block in scorer.blocks for part in block.parts)

    def thresholds_for(self, unit: str, overrides=None) -> np.ndarray:
        """The decision thresholds for a unit, with optional ``{theme: value}`` overrides."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        th = (self.paragraph_thresholds if unit == "paragraph" else self.thresholds).copy()
        for theme, value in (overrides or {}).items():
            if theme not in self.themes:
                raise ValueError(f"threshold override for unknown theme {theme!r}; "
                                 f"expected one of {self.themes}")
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold for {theme} must be in [0, 1], got {value}")
            th[self.themes.index(theme)] = value
        return th

    def _themes_of(self, proba: np.ndarray, thresholds: np.ndarray) -> list[list[str]]:
        hits = proba >= thresholds
        return [[t for t, h in zip(self.themes, row) if h] for row in hits]

    # --- explanations ------------------------------------------------------
    def explain(self, text: str, top: int = 5) -> dict[str, list[tuple[str, float]]]:
        """The terms of ``text`` that pushed each theme's score up or down.

        Returns
        -------
        dict
            theme -> up to ``top`` ``(term, weight)`` pairs, largest ``|weight|``
            first; a weight is the term's contribution to the theme's log-odds.
            Only words, character n-grams and lexicon terms found in ``text``.
        """
        from renovml.model.explain import explain_terms

        return explain_terms(self.scorer, text, self.themes, top)

    # --- articles -------------------------------------------------------------
    def tag(self, article, unit: str = "paragraph", *, thresholds=None) -> TaggedArticle:
        """Tag every section of an article.

        Parameters
        ----------
        article : str or Article
            Raw text (cleaned and split here) or an :class:`~renovml.Article`.
        unit : {"paragraph", "sentence"}
        thresholds : mapping of theme -> float, optional
            Overrides of the model's thresholds.

        Returns
        -------
        TaggedArticle
            Every section with its themes and scores, and the share of
            sections carrying each theme.
        """
        return self.tag_many([article], unit, thresholds=thresholds)[0]

    def warm_up(self) -> None:
        """Build now what the first prediction would build (the native scorer's tables, the
        word segmenter of a model with word features): a process that forks workers calls
        it first, so that they share what it built instead of each building its own."""
        for unit in UNITS:
            self.tag("老旧小区改造资金到位。", unit)

    def tag_many(self, articles, unit: str = "paragraph", *,
                 thresholds=None) -> list[TaggedArticle]:
        """Tag several articles with one pass through the classifier (much faster than
        calling :meth:`tag` on each: the classifier's per-call cost is paid once)."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        th = self.thresholds_for(unit, thresholds)
        prepared = []
        for article in articles:
            if isinstance(article, str):
                article = Article.from_text(article)
            elif not isinstance(article, Article):
                raise TypeError(f"tag() expects raw text or an Article, "
                                f"got {type(article).__name__}")
            sentences, paragraphs = article.sentences, article.paragraphs
            by_paragraph = [[] for _ in paragraphs]
            for s in sentences:
                by_paragraph[s.paragraph].append(s.text)
            prepared.append((article, sentences, paragraphs, by_paragraph))
        direct = unit == "paragraph" and self.paragraph_mode == "direct"
        scorer = self.paragraph_scorer if direct else self.scorer
        if getattr(scorer, "reads_sections_only", False):  # no context to build
            all_proba = scorer.clean_section_proba(
                [t for _, _, _, by_p in prepared for p in by_p
                 for t in (("".join(p),) if direct else p)])
        else:
            inputs = [x for _, _, _, by_p in prepared for x in
                      with_context(by_p, "paragraph" if direct else "sentence", clean=True)]
            all_proba = (scorer.predict_proba(inputs) if inputs
                         else np.zeros((0, len(self.themes))))
        sections_of = []
        for article, sentences, paragraphs, _ in prepared:
            sections_of.append(sentences if unit == "sentence" else paragraphs)
        if unit == "paragraph" and not direct and len(all_proba):
            # Every paragraph has a sentence and sentences come in paragraph order, so a
            # paragraph's score is the max over a contiguous run of sentence rows.
            firsts, offset = [], 0
            for _, sentences, _, _ in prepared:
                previous = None
                for i, s in enumerate(sentences):
                    if s.paragraph != previous:
                        firsts.append(offset + i)
                        previous = s.paragraph
                offset += len(sentences)
            all_proba = np.maximum.reduceat(all_proba, np.array(firsts, dtype=np.intp), axis=0)
        codes = (all_proba >= th) @ (1 << np.arange(len(self.themes)))
        combos = [[t for k, t in enumerate(self.themes) if code >> k & 1]
                  for code in range(1 << len(self.themes))]
        rows = all_proba.tolist()
        out, offset = [], 0
        for (article, sentences, _, _), cut in zip(prepared, sections_of):
            if not sentences:
                out.append(TaggedArticle(article, unit, [], {t: 0.0 for t in self.themes}))
                continue
            n = len(cut)
            tagged = [SectionThemes(sec, list(combos[code]), dict(zip(self.themes, row)))
                      for sec, code, row in zip(cut, codes[offset:offset + n].tolist(),
                                                rows[offset:offset + n])]
            offset += n
            summary = {t: round(sum(t in x.themes for x in tagged) / len(tagged), 4)
                       for t in self.themes}
            out.append(TaggedArticle(article, unit, tagged, summary))
        return out

    def tag_chunks(self, article: Article, unit: str = "paragraph", *, thresholds=None,
                   chunk_paragraphs: int = 500) -> Iterator[list[SectionThemes]]:
        """Tag a long article a chunk of paragraphs at a time, so memory depends on the
        chunk, not on the article.

        Parameters
        ----------
        article : Article
        unit : {"paragraph", "sentence"}
        thresholds : mapping of theme -> float, optional
        chunk_paragraphs : int
            Paragraphs per chunk.

        Returns
        -------
        iterator of list of SectionThemes
            The sections of consecutive chunks, in order: together, the same sections,
            themes and scores as :meth:`tag` gives (each chunk sees the heading and the
            neighbours its first and last sections have in the whole article).
        """
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        if chunk_paragraphs < 1:
            raise ValueError(f"chunk_paragraphs must be at least 1, got {chunk_paragraphs}")
        th = self.thresholds_for(unit, thresholds)
        text = article.text
        paragraphs = article.paragraphs
        starts = [p.start for p in paragraphs]

        def chunk_sentences(first: int, stop: int) -> list[list[Section]]:
            """The sentences of paragraphs[first:stop], grouped by paragraph, with the
            ids and offsets they have in the whole article."""
            if first >= stop:
                return []
            base = paragraphs[first].start
            grouped: list[list[Section]] = [[] for _ in range(first, stop)]
            for s in sections(text[base:paragraphs[stop - 1].end], "sentence"):
                start = s.start + base
                p = bisect_right(starts, start, first, stop) - 1
                grouped[p - first].append(Section(
                    f"p{p}.s{len(grouped[p - first])}", "sentence", s.text, start,
                    s.end + base, p))
            return grouped

        direct = unit == "paragraph" and self.paragraph_mode == "direct"
        scorer = self.paragraph_scorer if direct else self.scorer
        heading = None  # text of the nearest heading paragraph above the chunk
        previous: list[Section] | None = None  # the sentences of the paragraph above
        current = chunk_sentences(0, min(chunk_paragraphs, len(paragraphs)))
        for first in range(0, len(paragraphs), chunk_paragraphs):
            stop = min(first + chunk_paragraphs, len(paragraphs))
            following = chunk_sentences(stop, min(stop + chunk_paragraphs, len(paragraphs)))
            before = ([[heading]] if heading is not None else []) + (
                [[s.text for s in previous]] if previous else [])
            after = [[s.text for s in following[0]]] if following else []
            texts = [[s.text for s in group] for group in current]
            inputs = with_context(before + texts + after, "paragraph" if direct else "sentence",
                                  clean=True)
            n_before = len(before) if direct else sum(len(p) for p in before)
            n_mine = len(texts) if direct else sum(len(p) for p in texts)
            inputs = inputs[n_before:n_before + n_mine]
            proba = (scorer.predict_proba(inputs) if inputs
                     else np.zeros((0, len(self.themes))))
            if unit == "sentence":
                chunk_sections = [s for group in current for s in group]
            else:
                chunk_sections = paragraphs[first:stop]
                if not direct:
                    owner = np.array([s.paragraph for group in current for s in group])
                    ids, proba = rollup(proba, owner)
                    chunk_sections = [paragraphs[i] for i in ids]
            labels = self._themes_of(proba, th)
            yield [SectionThemes(sec, lab, dict(zip(self.themes, map(float, row))))
                   for sec, lab, row in zip(chunk_sections, labels, proba)]
            for group in current:
                joined = "".join(s.text for s in group)
                if is_heading(joined):
                    heading = joined
            previous = current[-1] if current else previous
            current = following
