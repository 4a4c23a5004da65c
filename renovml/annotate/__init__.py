"""The annotation loop: choose what to label, hand it to a labelling tool, take the labels
back as corpus records, and re-tune a model's thresholds on them.

- :func:`select` picks the sentences the model is least sure of, spread over articles
  and themes, as whole-article tasks;
- :func:`to_label_studio` / :func:`to_doccano` write the tasks for Label Studio (with
  :func:`label_studio_config`) or doccano, pre-annotated with the model's themes;
- :func:`from_label_studio` / :func:`from_doccano` read their exports back as corpus
  records (origin ``"user"``; a sentence nobody labelled keeps ``null`` labels);
- :func:`tune` re-tunes a model's thresholds on a user's labels without retraining.

The command line: ``renovml annotate select|export|import`` and ``renovml tune``.
"""

from renovml.annotate.formats import (
    NONE,
    from_doccano,
    from_label_studio,
    label_studio_config,
    to_doccano,
    to_label_studio,
)
from renovml.annotate.select import select
from renovml.annotate.tune import save_tuned, tune

__all__ = ["NONE", "from_doccano", "from_label_studio", "label_studio_config", "save_tuned",
           "select", "to_doccano", "to_label_studio", "tune"]
