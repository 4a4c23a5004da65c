"""The four theme ids: the ground floor that every layer of renovml may import.

The order is the order of every score column, label matrix and threshold vector.
Definitions: ``ANNOTATION.md``.
"""

from __future__ import annotations

__all__ = ["THEMES", "THEME_NAMES_ZH"]

#: The four theme ids, in the order of every score column.
THEMES: tuple[str, ...] = ("funding", "governance", "infrastructure", "management")

#: The Chinese name of each theme.
THEME_NAMES_ZH: dict[str, str] = {
    "funding": "资金",
    "governance": "治理",
    "infrastructure": "基础设施与配套设施",
    "management": "长效管理",
}
