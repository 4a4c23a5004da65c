"""The SHA-256 of the model file shipped with renovml, pinned in the package's code.

:func:`renovml.load` unpickles the shipped model only if its bytes hash to this value:
a manifest beside the file cannot vouch for it, since whoever can change the file can
change its manifest too. Saving a model into the shipped model's directory (what
``python train.py`` does) rewrites this file; do not edit it by hand.
"""

SHA256 = "4703388a7e3415e427439953d057e25f1db2409813582af64dafe64c026b12aa"
