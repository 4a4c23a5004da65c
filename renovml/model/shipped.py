"""The SHA-256 of the model file shipped with renovml, pinned in the package's code.

:func:`renovml.load` unpickles the shipped model only if its bytes hash to this value:
a manifest beside the file cannot vouch for it, since whoever can change the file can
change its manifest too. Saving a model into the shipped model's directory (what
``python train.py`` does) rewrites this file; do not edit it by hand.
"""

SHA256 = "8a20130c9e91fa63e517a9a27bf7d08a5a2d523c20cac36e0fd314361c2f8432"
