"""The native character n-gram scorer gives the numbers of the numpy path and of
scikit-learn, on the corpus, on hard strings and on small models of every shape, and
refuses inputs it cannot read instead of reading past them."""

import pickle
import random

import numpy as np
import pytest
from conftest import SEED_DIR
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

import renovml
from renovml.model import compiled
from renovml.model.compiled import _NativeVocabulary
from renovml.model.ngram_keys import prepare
from renovml.training.corpus import read_corpus

HARD = [
    "", " ", "\u3000\u3000", "A  B\t\tc\n\nD", "ÀÉÎ ÕÜ ǅ", "İstanbul ΣΑΣ ß", "K ſ",
    "𠀀𠀁𠀂 老旧小区 𪚥", "\x00\x01\x7f", "＜script＞", "老" * 300, "改造" * 200,
    "2024年3月，资金1.5亿元（中央补助）；加装电梯12部。", "a", "ab", "abc",
    "😀老旧😀小区😀", "\ud800 lone surrogate \udfff",
]


def _numpy_proba(scorer, texts, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(compiled, "NATIVE", None)
        return scorer.predict_proba(texts)


def test_the_extension_is_built():
    # CI installs with a C compiler: a build that silently failed would leave users on
    # the numpy path, several times slower, with nothing said.
    assert compiled.NATIVE is not None, "renovml.model._native was not built"


@pytest.fixture(scope="module")
def shipped():
    return renovml.load()


@pytest.fixture(scope="module")
def corpus_sentences():
    return [s["text"] for a in read_corpus(SEED_DIR / "corpus") for p in a["paragraphs"]
            for s in p["sentences"]]


def test_shipped_model_scores_the_corpus_as_numpy_does(shipped, corpus_sentences, monkeypatch):
    scorer = shipped.scorer
    assert any(p.native is not None for b in scorer.blocks for p in b.parts)
    native = scorer.predict_proba(corpus_sentences)
    np.testing.assert_allclose(native, _numpy_proba(scorer, corpus_sentences, monkeypatch),
                               rtol=0, atol=1e-12)


def test_hard_strings_score_as_numpy_does(shipped, monkeypatch):
    scorer = shipped.scorer
    texts = HARD + ["".join(HARD)]
    np.testing.assert_allclose(scorer.predict_proba(texts),
                               _numpy_proba(scorer, texts, monkeypatch), rtol=0, atol=1e-12)


def test_a_text_of_one_character_repeated_uses_the_log_of_large_counts(shipped, monkeypatch):
    # Counts of 64 and more are not in the kernel's small table of tf values.
    texts = ["小" * n for n in (1, 2, 63, 64, 65, 1000, 100_000)]
    np.testing.assert_allclose(shipped.scorer.predict_proba(texts),
                               _numpy_proba(shipped.scorer, texts, monkeypatch),
                               rtol=0, atol=1e-12)


def _fit(texts, y, **kw):
    """A compiled scorer of one chars block fitted on texts, with the vectoriser's options."""
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from renovml.model.inputs import section_texts
    from renovml.model.ngrams import CharNgramTfidf

    block = Pipeline([("texts", FunctionTransformer(section_texts)),
                      ("features", CharNgramTfidf(**kw))])
    pipeline = Pipeline([("features", FeatureUnion([("section", block)])),
                         ("classifier", OneVsRestClassifier(LogisticRegression(max_iter=200)))])
    pipeline.fit([{"text": t} for t in texts], y)

    class Fitted:
        pipeline_ = pipeline

    return compiled.compile_classifier(Fitted), pipeline


def _random_texts(rng, n, alphabet):
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (1, 3)])
@pytest.mark.parametrize("sublinear, lowercase", [(True, True), (False, False)])
def test_small_models_of_every_shape_score_as_numpy_and_scikit_learn(ngram_range, sublinear,
                                                                    lowercase, monkeypatch):
    rng = random.Random(hash((ngram_range, sublinear)) % 1000)
    # Astral characters, Latin of both cases, spaces and a few CJK: every path of the
    # kernel (a character's id by table or by search, unknown characters, long runs).
    alphabet = list("老旧小区改造资金物业 Aa Bb") + ["𠀀", "𪚥", "😀", "  "]
    texts = _random_texts(rng, 300, alphabet)
    y = np.array([[rng.random() < 0.5 for _ in range(4)] for _ in texts])
    y[:4] = np.eye(4, dtype=bool)  # every theme has both classes
    scorer, pipeline = _fit(texts, y, ngram_range=ngram_range, min_df=2,
                            sublinear_tf=sublinear, lowercase=lowercase)
    assert scorer.blocks[0].parts[0].native is not None
    unseen = _random_texts(rng, 200, alphabet + ["丁", "Z", "𠀂"])
    native = scorer.predict_proba(unseen)
    np.testing.assert_allclose(native, _numpy_proba(scorer, unseen, monkeypatch),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(native, pipeline.predict_proba([{"text": t} for t in unseen]),
                               rtol=0, atol=1e-9)


def test_a_trigram_whose_prefix_is_no_feature_is_still_found(monkeypatch):
    # A three-character feature whose two-character prefix is no feature: the prefix sits in
    # the table as an entry without a column, so the trigram is still found.
    texts = ["甲乙丙"] * 5 + ["乙丙丁"] * 3 + ["丙丁戊"] * 2
    y = np.array([[i % 2 == 0, i % 3 == 0, i % 2 == 1, i < 5] for i in range(len(texts))])
    scorer, pipeline = _fit(texts, y, ngram_range=(3, 3), min_df=1)
    part = scorer.blocks[0].parts[0]
    assert "甲乙丙" in set(part.names)
    probe = ["甲乙丙", "x甲乙丙y", "乙丙丁甲乙丙", "甲乙", "丙"]
    np.testing.assert_allclose(scorer.predict_proba(probe),
                               pipeline.predict_proba([{"text": t} for t in probe]),
                               rtol=0, atol=1e-9)


def test_a_vocabulary_too_large_to_pack_is_scored_by_numpy(shipped, monkeypatch):
    part = shipped.scorer.blocks[0].parts[0]
    # 70,000 distinct characters need 17 bits each: three of them and a column do not fit.
    keys = np.arange(0x4E00, 0x4E00 + 70_000, dtype=np.int64) + 1
    fake = compiled._Part("chars", 0, len(keys), np.array([chr(k - 1) for k in keys]),
                          {"keys": keys, "column_of": np.arange(len(keys)),
                           "idf": np.ones(len(keys))}, True, True, (1, 3))
    assert _NativeVocabulary.of(fake) is None
    assert fake.native is None
    scorer = compiled.CompiledScorer([compiled._Block("section_texts", 1.0, [fake])],
                                     np.zeros((4, len(keys))), np.zeros(4))
    assert scorer.predict_proba(["一丁"]).shape == (1, 4)
    assert part.native is not None


def test_bad_arguments_raise_instead_of_reading_out_of_bounds(shipped):
    native = compiled.NATIVE
    scorer = shipped.scorer
    part = scorer.blocks[0].parts[0]
    v, rows = part.native, scorer._rows(part)
    out = np.zeros((1, 4))

    def call(**changes):
        args = dict(texts=["老旧小区"], low=1, high=3, ids=v.ids, astral=v.astral,
                    astral_ids=v.astral_ids, unigrams=v.unigrams, table=v.table, bits=v.bits,
                    value_bits=v.value_bits, n_features=v.width, rows=rows, sublinear=True,
                    out=out)
        args.update(changes)
        native.char_scores(*args.values())

    call()  # the arguments as the scorer passes them
    with pytest.raises(TypeError, match="expected str"):
        call(texts=["老旧", 3], out=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="ngram range"):
        call(high=4)
    with pytest.raises(ValueError, match="out: expected 4 items"):
        call(out=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="ids"):
        call(ids=v.ids[:100])
    with pytest.raises(ValueError, match="table size"):
        call(table=v.table[:-1])
    with pytest.raises(ValueError, match="rows"):
        call(rows=rows[:, :1].copy())
    with pytest.raises(ValueError, match="bit widths"):
        call(bits=30)
    # A table whose columns lie past the features: refused where met, not read past.
    with pytest.raises(ValueError, match="outside the features"):
        call(n_features=1, rows=np.ones((1, 5)))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        call(unigrams=v.unigrams[:2])
    with pytest.raises(ValueError, match="writable|read-only"):
        frozen = np.zeros((1, 4))
        frozen.flags.writeable = False
        call(out=frozen)
    with pytest.raises(ValueError, match="bit widths"):
        call(bits=0x55555556)  # 3 * bits would overflow an int
    with pytest.raises(ValueError, match="out: expected items of type 'd'"):
        call(out=np.zeros((1, 4), dtype=np.int64))
    with pytest.raises(ValueError, match="ids: expected items of type 'H'"):
        call(ids=v.ids.astype(np.float16))
    with pytest.raises(ValueError, match="ids: expected items of type 'H'"):
        call(ids=v.ids.astype(">u2"))
    with pytest.raises(ValueError, match="table: expected items"):
        call(table=v.table.view(np.float64))
    # A table with no empty slot: a lookup gives up after one round of probes.
    full = np.full(16, (1 << 62) | 1, dtype=np.uint64)
    out[:] = 0
    call(table=full, low=2, high=3)
    assert not out.any()
    with pytest.raises(ValueError, match="same key"):
        native.fill_table(np.array([5 << 3, 5 << 3], dtype=np.uint64), 3,
                          np.zeros(8, np.uint64))
    with pytest.raises(ValueError, match="zero key"):
        native.fill_table(np.array([1], dtype=np.uint64), 3, np.zeros(8, np.uint64))
    with pytest.raises(ValueError, match="power of two"):
        native.fill_table(np.array([8], dtype=np.uint64), 3, np.zeros(6, np.uint64))


def test_pickled_scorer_holds_no_native_layout(shipped):
    scorer = shipped.scorer
    scorer.predict_proba(["老旧小区改造"])  # builds the layout and the weight rows
    restored = pickle.loads(pickle.dumps(scorer))
    assert "_part_weights" not in restored.__dict__
    assert all("_native" not in p.__dict__ for b in restored.blocks for p in b.parts)
    np.testing.assert_array_equal(restored.predict_proba(["老旧小区改造"]),
                                  scorer.predict_proba(["老旧小区改造"]))


def test_arrays_cannot_change_in_place_and_replaced_ones_are_seen(shipped):
    # Tables and weight rows are built from the arrays once: an edit in place would go
    # unseen, so it is refused; a replaced array is noticed.
    scorer = pickle.loads(pickle.dumps(shipped.scorer))
    part = scorer.blocks[0].parts[0]
    with pytest.raises(ValueError, match="read-only"):
        scorer.coef[1, :] = 0
    with pytest.raises(ValueError, match="read-only"):
        part.arrays["idf"][0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        part.arrays["keys"][0] = 1
    text = ["老旧小区加装电梯，资金到位。"]
    before = scorer.predict_proba(text)
    idf = part.arrays["idf"].copy()
    idf[::2] = 1.0  # not a uniform scale, which the normalisation would cancel
    part.arrays = {**part.arrays, "idf": idf}
    assert not np.allclose(scorer.predict_proba(text), before)
    keys = part.arrays["keys"].copy()
    keys[np.searchsorted(keys, ord("梯") + 1)] = ord("丁") + 1  # another character, same column
    keys.sort()
    part.arrays = {**part.arrays, "keys": keys}
    assert part.native is not None
    with pytest.MonkeyPatch.context() as m:
        m.setattr(compiled, "NATIVE", None)
        expected = scorer.predict_proba(text)
    np.testing.assert_allclose(scorer.predict_proba(text), expected, rtol=0, atol=1e-12)


def test_lone_surrogates_in_clean_text_score_alike_on_both_paths(shipped, monkeypatch):
    texts = [{"text": "老旧小区\ud83d改造", "clean": True}, {"text": "\udfff", "clean": True}]
    np.testing.assert_allclose(shipped.scorer.predict_proba(texts),
                               _numpy_proba(shipped.scorer, texts, monkeypatch),
                               rtol=0, atol=1e-12)


def test_weight_rows_follow_a_replaced_coefficient_matrix(shipped):
    scorer = pickle.loads(pickle.dumps(shipped.scorer))
    before = scorer.predict_proba(["加装电梯"])
    scorer.coef = scorer.coef * 2  # a caller's edit: the cached rows must not be reused
    after = scorer.predict_proba(["加装电梯"])
    assert not np.allclose(before, after)


def test_clean_section_proba_equals_predict_proba_of_clean_inputs(shipped, corpus_sentences):
    from renovml.text.cleaning import normalize

    texts = [normalize(t) for t in corpus_sentences[:300]]
    np.testing.assert_array_equal(
        shipped.scorer.clean_section_proba(texts),
        shipped.scorer.predict_proba([{"text": t, "clean": True} for t in texts]))


def test_vectorizer_reference_agrees_on_the_prepared_text(corpus_sentences):
    # The kernel reads prepare()'s text; scikit-learn's analyser lower-cases and collapses
    # white space the same way.
    texts = corpus_sentences[:50] + HARD[:8]
    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 1), lowercase=True)
    analyse = ref.build_analyzer()
    for text, prepared in zip(texts, prepare(texts, True)):
        assert "".join(analyse(text)) == prepared


def test_a_missing_extension_is_said_once_and_numpy_scores(shipped, monkeypatch):
    monkeypatch.setattr(compiled, "NATIVE", None)
    monkeypatch.setattr(compiled, "_NATIVE_MISSING", "No module named 'renovml.model._native'")
    monkeypatch.setattr(compiled, "_warned", False)
    with pytest.warns(RuntimeWarning, match="native scorer did not import .*No module named"):
        first = shipped.scorer.predict_proba(["加装电梯"])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: a second call is quiet
        assert np.array_equal(shipped.scorer.predict_proba(["加装电梯"]), first)
