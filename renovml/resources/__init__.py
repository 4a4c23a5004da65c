"""Data shipped with renovml: the domain lexicon and stop words."""
