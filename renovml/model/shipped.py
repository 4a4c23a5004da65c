"""The SHA-256 of the model file shipped with renovml, pinned in the package's code.

:func:`renovml.load` unpickles the shipped model only if its bytes hash to this value:
a manifest beside the file cannot vouch for it, since whoever can change the file can
change its manifest too. Saving a model into the shipped model's directory (what
``python train.py`` does) rewrites this file; do not edit it by hand.
"""

SHA256 = "1b8bfd1cb65db6a6b260d080c0490118bb1499e9be370503854897975f4f9ea1"
