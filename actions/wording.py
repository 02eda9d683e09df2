"""Lines of the messages an action composes, taken from the domain.

Every word the citizen reads is a response in bot/domain.yml. A message
with a fixed shape is one response, filled by Rasa from the values the action
passes (`dispatcher.utter_message(response=..., name=value)`). The read-back,
the filing notice and a status have lines that are there or not, so the
action fills those lines here, from the domain's responses that Rasa sends
with every call, and passes them to the message's response as one value.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk.types import DomainDict

# {name} as Rasa fills it in a response's text.
_VARIABLE = re.compile(r"\{(\w+)\}")


def line(domain: DomainDict, response: str, **values: Any) -> str:
    """The text of a domain response (its first variation), filled with values."""
    variations: List[Dict[str, Any]] = (domain.get("responses") or {}).get(response) or []
    if not variations:
        raise KeyError(f"the domain has no response {response!r} (or Rasa sent no domain)")
    return _VARIABLE.sub(lambda m: str(values.get(m.group(1), m.group(0))), variations[0].get("text") or "")

