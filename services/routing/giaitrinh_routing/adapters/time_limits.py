"""Reading the time-limit sets (``giaitrinh_routing/time_limits.json``) into a rule book."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from giaitrinh_routing.domain.time_limits import RuleBook, TimeLimitSet


def load_rule_book(path: Path | None = None) -> RuleBook:
    """The shipped sets, or those of ``path``; a malformed file fails here, naming the set."""
    text = (path.read_text("utf-8") if path is not None
            else resources.files("giaitrinh_routing").joinpath("time_limits.json").read_text("utf-8"))
    sets = []
    for i, raw in enumerate(json.loads(text)["sets"]):
        try:
            sets.append(TimeLimitSet.from_dict(raw))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"time-limit set #{i + 1} ({raw.get('id', '?')}): {exc!r}") from None
    return RuleBook(sets)
