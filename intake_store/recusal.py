"""回避: a complaint is never handled by the body it accuses.

`routing.route` applies it when it suggests a route; this check applies it to
a route a person chose or kept: an operator's dispatch or reroute, and the
route already in force when the respondent is amended after dispatch.
"""
from __future__ import annotations


def recusal_problem(lead: str | None, co: list[str] | tuple[str, ...], respondent_code: str | None,
                    respondent_assists: bool) -> str | None:
    """Why the route breaks 回避, or None. The accused may assist only where the
    category says so (谁认定谁修复: the body that made a credit record corrects it)."""
    if not respondent_code:
        return None
    if lead == respondent_code:
        return "回避：不能把工单派给被投诉单位本身主办。"
    if respondent_code in co and not respondent_assists:
        return "回避：被投诉单位不能作为协办单位参与办理。"
    return None
