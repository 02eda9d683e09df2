"""What a complaint is about, whom it accuses and who should handle it.

One function for every place that needs it: the assistant (through
`POST /api/understand`), `hotline classify` and the operator console all call
`understand`, so the category model and the body resolution are one source of
truth.
"""
from __future__ import annotations

from dataclasses import dataclass

from .bodies import accused_body
from .catalog import Catalog, default_catalog
from .category_model import CategoryModel, Prediction, get_model
from .routing import Route, route


@dataclass(frozen=True)
class Understanding:
    prediction: Prediction
    respondent: str | None      # the accused body as the citizen wrote it
    place: str | None
    route: Route

    def as_dict(self) -> dict:
        return {
            **self.prediction.as_dict(),
            "respondent": self.respondent,
            "respondent_code": self.route.respondent_code,
            "place": self.place,
            "lead": self.route.lead,
            "lead_name": self.route.lead_name,
            "co": list(self.route.co),
            "co_names": list(self.route.co_names),
            "route_notes": list(self.route.notes),
        }


def understand(
    text: str,
    respondent: str | None = None,
    place: str | None = None,
    *,
    catalog: Catalog | None = None,
    model: CategoryModel | None = None,
) -> Understanding:
    """The complaint's whole text (first message plus what the form gathered),
    and the respondent and place when the citizen already named them."""
    catalog = catalog or default_catalog()
    prediction = (model or get_model()).predict(text)
    if not respondent:
        accused = accused_body(text, catalog)
        respondent = accused.text if accused else None
    return Understanding(prediction, respondent, place, route(prediction.category, respondent, place, catalog, text=text))
