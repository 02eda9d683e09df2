"""A code of the shared vocabulary as an API field: a client may send the code
or its Chinese label (citizens and older clients send 满意, 属实 …); the
handler always gets the code."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from vocabulary.codes import Codes


def coded(codes: Codes) -> Any:
    """The pydantic type of a field holding one of `codes`."""

    def to_code(value: Any) -> Any:
        if value is None:
            return None
        code = codes.code_of(value)
        if code is None:
            # Reported like a value outside a Literal, with the allowed labels in the detail.
            raise PydanticCustomError("literal_error", f"{codes.what}须为{codes.choices()}之一")
        return code

    schema = {"type": "string", "enum": [*codes.codes, *codes.labels.values()],
              "description": f"{codes.what}：" + "，".join(f"{c}（{label}）" for c, label in codes.labels.items())}
    return Annotated[str, BeforeValidator(to_code), WithJsonSchema(schema)]
