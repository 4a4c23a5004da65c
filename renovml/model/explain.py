"""Why a section got its scores: per-theme contributions of the terms it contains."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from renovml.model.features import section_texts
from renovml.model.tokens import lexicon, tokenize


def _section_union(pipeline):
    features = pipeline.named_steps["features"]
    section = dict(features.transformer_list)["section"]
    return section.named_steps["union"]


def explain_terms(classifier, text: str, themes, top: int) -> dict[str, list[tuple[str, float]]]:
    """Contribution (feature value x coefficient) of each term of ``text`` to each
    theme's log-odds, over the section's own word, character and lexicon features."""
    if not isinstance(text, str):
        raise TypeError(f"explain() expects a str, got {type(text).__name__}")
    if top < 1:
        raise ValueError(f"top must be a positive integer, got {top}")
    pipeline = classifier.pipeline_
    clean_text = section_texts([{"text": text}])[0]
    union = _section_union(pipeline)
    estimators = pipeline.named_steps["classifier"].estimators_
    features = pipeline.named_steps["features"]
    weight = (features.transformer_weights or {}).get("section", 1.0)
    X = union.transform([clean_text]).tocsr()
    names: list[tuple[str, str]] = []
    for block, transformer in union.transformer_list:
        if block == "lexicon":
            names += [("lexicon", t) for t in themes]
        else:
            names += [(block, n) for n in transformer.get_feature_names_out()]
    present_words = set(tokenize(clean_text))
    lowered = clean_text.lower()
    result = {}
    for k, theme in enumerate(themes):
        coef = np.asarray(estimators[k].coef_).ravel()[: X.shape[1]]
        contrib: dict[str, float] = defaultdict(float)
        for j, value in zip(X.indices, X.data):
            block, name = names[j]
            c = float(value * coef[j] * weight)
            if block == "lexicon":
                # Spread the lexicon feature over the theme's terms found in the text.
                terms = [t for t, th in lexicon().items() if th == name and t.lower() in lowered]
                for term in terms:
                    contrib[term] += c / len(terms)
            elif block == "words":
                parts = name.split(" ")
                if "<num>" in parts or not all(p in present_words for p in parts):
                    continue
                joined = "".join(parts)
                if joined in lowered:
                    contrib[joined] += c
                else:  # a bigram across a dropped stop word: credit its two words
                    for part in parts:
                        contrib[part] += c / len(parts)
            elif name.strip() and name in lowered:
                contrib[name] += c
        ranked = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))
        result[theme] = [(term, round(w, 4)) for term, w in ranked[:top] if w != 0]
    return result
