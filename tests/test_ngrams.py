"""The numpy character n-gram TF-IDF equals scikit-learn's char TfidfVectorizer."""

import numpy as np
import pytest
from conftest import SEED_DIR
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from renovml.model.ngrams import CharNgramTfidf
from renovml.training.corpus import read_corpus


def _reference(**kw):
    return TfidfVectorizer(analyzer="char", ngram_range=kw.pop("ngram_range", (1, 3)),
                           min_df=kw.pop("min_df", 2), sublinear_tf=True, lowercase=True, **kw)


def _assert_same(texts, fit_texts=None, **kw):
    fit_texts = texts if fit_texts is None else fit_texts
    ref = _reference(**dict(kw)).fit(fit_texts)
    mine = CharNgramTfidf(**kw).fit(fit_texts)
    assert list(mine.get_feature_names_out()) == list(ref.get_feature_names_out())
    np.testing.assert_allclose(mine.idf_, ref.idf_)
    a, b = ref.transform(texts), mine.transform(texts)
    assert a.shape == b.shape
    np.testing.assert_allclose(b.toarray(), a.toarray(), atol=1e-12)


@pytest.fixture(scope="module")
def corpus_sentences():
    return [s["text"] for a in read_corpus(SEED_DIR / "corpus") for p in a["paragraphs"]
            for s in p["sentences"]]


@pytest.mark.parametrize("max_features", [None, 20000, 2000, 300])
def test_same_matrix_on_the_corpus(corpus_sentences, max_features):
    _assert_same(corpus_sentences[:1500], corpus_sentences, max_features=max_features)


HARD = ["", " ", "A  b\t\tc\n\nD", "ABC abc", "𠀀字𠀁𠀀字", "老旧小区改造", "老旧小区改造", "e\u0301",
        "１２３", "3.2亿元", "a\u3000\u3000b", "字", "字字", "字字字字"]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3), (1, 3)])
def test_same_matrix_on_hard_strings(ngram_range):
    _assert_same(HARD, ngram_range=ngram_range, min_df=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("老旧小区aA 1\n\t。𠀀")), max_size=12),
                min_size=2, max_size=12))
def test_same_matrix_on_generated_texts(texts):
    if not any(len(t) for t in texts):
        return
    _assert_same(texts, min_df=1)


def test_repeated_texts_are_computed_once_and_rows_kept_in_order():
    mine = CharNgramTfidf(min_df=1).fit(["一、总体要求", "资金保障"])
    rows = mine.transform(["资金保障", "一、总体要求", "资金保障"]).toarray()
    np.testing.assert_array_equal(rows[0], rows[2])
    assert not np.array_equal(rows[0], rows[1])


def test_errors():
    with pytest.raises(ValueError, match="ngram_range"):
        CharNgramTfidf(ngram_range=(1, 4)).fit(["abcd"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        CharNgramTfidf(min_df=3).fit(["ab", "cd"])
    with pytest.raises(TypeError, match="expected str"):
        CharNgramTfidf(min_df=1).fit(["ab", 3])


# --- words ----------------------------------------------------------------------------

def _words_reference(**kw):
    from renovml.model.tokens import tokenize

    return TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False,
                           ngram_range=(1, 2), min_df=kw.pop("min_df", 2), sublinear_tf=True, **kw)


@pytest.mark.parametrize("max_features", [None, 5000, 300])
def test_same_word_matrix_on_the_corpus(corpus_sentences, max_features):
    from renovml.model.ngrams import WordNgramTfidf
    from renovml.model.tokens import tokenize

    ref = _words_reference(max_features=max_features).fit(corpus_sentences)
    mine = WordNgramTfidf(tokenizer=tokenize, max_features=max_features).fit(corpus_sentences)
    assert list(mine.get_feature_names_out()) == list(ref.get_feature_names_out())
    np.testing.assert_allclose(mine.idf_, ref.idf_)
    texts = corpus_sentences[:1200] + HARD + ["资金 资金 资金", "加装电梯加装电梯", "未见过的词语"]
    np.testing.assert_allclose(mine.transform(texts).toarray(), ref.transform(texts).toarray(),
                               atol=1e-12)
