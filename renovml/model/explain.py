"""Why a section got its scores: per-theme contributions of the terms it contains."""

from __future__ import annotations

from collections import defaultdict

from renovml.model.inputs import section_texts
from renovml.model.tokens import lexicon, tokenize


def explain_terms(scorer, text: str, themes, top: int) -> dict[str, list[tuple[str, float]]]:
    """Contribution (feature value x coefficient) of each term of ``text`` to each
    theme's log-odds, over the section's own word, character and lexicon features.

    ``scorer`` is the model's :class:`~renovml.model.compiled.CompiledScorer`.
    """
    if not isinstance(text, str):
        raise TypeError(f"explain() expects a str, got {type(text).__name__}")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    clean_text = section_texts([{"text": text}])[0]
    present_words = set(tokenize(clean_text))
    lowered = clean_text.lower()
    terms_of_theme = {theme: [t for t, th in lexicon().items() if th == theme and t.lower() in lowered]
                      for theme in themes}
    contrib: list[dict[str, float]] = [defaultdict(float) for _ in themes]
    for kind, name, per_theme in scorer.contributions(clean_text):
        for k in range(len(themes)):
            c = float(per_theme[k])
            if kind == "lexicon":
                # Spread the lexicon feature over the theme's terms found in the text.
                terms = terms_of_theme[name]
                for term in terms:
                    contrib[k][term] += c / len(terms)
            elif kind == "words":
                parts = name.split(" ")
                if "<num>" in parts or not all(p in present_words for p in parts):
                    continue
                joined = "".join(parts)
                if joined in lowered:
                    contrib[k][joined] += c
                else:  # a bigram across a dropped stop word: credit its two words
                    for part in parts:
                        contrib[k][part] += c / len(parts)
            elif name.strip() and name in lowered:
                contrib[k][name] += c
    result = {}
    for k, theme in enumerate(themes):
        ranked = sorted(contrib[k].items(), key=lambda kv: -abs(kv[1]))
        result[theme] = [(term, round(w, 4)) for term, w in ranked[:top] if w != 0]
    return result
