"""Model inputs -> features: the scikit-learn pieces of the theme classifier.

Every callable a fitted pipeline holds is a module-level function, so the saved
model pickles by reference and does not drag a jieba Tokenizer (which holds a
lock) into the file.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from renovml.model.inputs import (
    as_inputs,
    heading_texts,
    neighbour_texts,
    paragraph_texts,
    section_texts,
    title_texts,
)
from renovml.model.ngrams import CharNgramTfidf, WordNgramTfidf
from renovml.model.tokens import lexicon_counts, tokenize

__all__ = ["as_inputs", "build_features", "section_texts"]


def lexicon_features(texts) -> sparse.csr_matrix:
    """log(1 + count) of each theme's lexicon terms in each text."""
    counts = np.array([lexicon_counts(t) for t in texts], dtype=np.float64).reshape(-1, 4)
    return sparse.csr_matrix(np.log1p(counts))


def _words(bigrams: bool = True, **kw):
    # scikit-learn's TfidfVectorizer over words and bigrams, the n-grams counted with numpy;
    # words alone (an experiment) with scikit-learn's own.
    if bigrams:
        return WordNgramTfidf(tokenizer=tokenize, min_df=2, sublinear_tf=True, **kw)
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, min_df=2,
                           sublinear_tf=True, **kw)


def _chars(ngram_range=(1, 3), **kw):
    # scikit-learn's char TfidfVectorizer, computed with numpy a batch at a time (up to
    # 3-grams, which fill a 64-bit key); longer n-grams (an experiment) with scikit-learn's.
    if max(ngram_range) <= 3:
        return CharNgramTfidf(ngram_range=tuple(ngram_range), min_df=2, sublinear_tf=True,
                              lowercase=True, **kw)
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=tuple(ngram_range), min_df=2,
                           sublinear_tf=True, lowercase=True, **kw)


def build_features(*, words: bool = True, chars: bool = True, lexicon: bool = True,
                   context_weight: float = 0.0, neighbours: bool = True,
                   char_range: tuple[int, int] = (1, 3), word_bigrams: bool = True,
                   paragraph_weight: float = 0.0, title_weight: float = 0.0) -> Pipeline:
    """The feature extractor: TF-IDF of jieba words (and bigrams) and/or character
    n-grams of the section, lexicon counts, and down-weighted character n-grams of
    its context: heading and neighbours (``context_weight``), the paragraph it sits in
    (``paragraph_weight``) and the article's headline (``title_weight``)."""
    text_blocks = []
    if words:
        text_blocks.append(("words", _words(word_bigrams)))
    if chars:
        text_blocks.append(("chars", _chars(char_range)))
    if lexicon:
        text_blocks.append(("lexicon", FunctionTransformer(lexicon_features)))
    if not text_blocks:
        raise ValueError("build_features needs at least one of words, chars, lexicon")
    blocks = [("section", Pipeline([("text", FunctionTransformer(section_texts)),
                                    ("union", FeatureUnion(text_blocks))]))]
    weights = {"section": 1.0}
    if context_weight > 0:
        blocks.append(("heading", Pipeline([("text", FunctionTransformer(heading_texts)),
                                            ("tfidf", _chars(max_features=20000))])))
        weights.update(heading=context_weight)
        if neighbours:
            blocks.append(("neighbours", Pipeline([("text", FunctionTransformer(neighbour_texts)),
                                                   ("tfidf", _chars(max_features=20000))])))
            weights.update(neighbours=context_weight)
    for name, texts, weight in (("paragraph", paragraph_texts, paragraph_weight),
                                ("title", title_texts, title_weight)):
        if weight > 0:
            blocks.append((name, Pipeline([("text", FunctionTransformer(texts)),
                                           ("tfidf", _chars(max_features=20000))])))
            weights[name] = weight
    return FeatureUnion(blocks, transformer_weights=weights)
