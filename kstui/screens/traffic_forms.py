"""Create a grayscale Strategy for a Service that has two versions: canary by weight, canary
by header or cookie, blue-green or mirror. §5.1's prerequisites are checked before anything is
sent, and each failing one is named (on the Service field)."""

from __future__ import annotations

from kstui.backends.tenancy import validate_name
from kstui.backends.traffic_create import NewStrategy
from kstui.backends.traffic_model import StrategyType
from kstui.backends.traffic_service import TrafficService
from kstui.backends.traffic_writes import Unmet
from kstui.screens.forms import WriteForm, Written
from kstui.widgets.form import Values
from kstui.widgets.form_fields import Field, number, radio, text

TYPES = (
    ("canary by weight", "weight"),
    ("canary by header", "header"),
    ("canary by cookie", "cookie"),
    ("blue-green", "bluegreen"),
    ("mirror", "mirror"),
)


class CreateStrategyForm(WriteForm):
    SEND_LABEL = "Create"

    def __init__(self, service: TrafficService, context: str, namespace: str) -> None:
        super().__init__(
            f"New grayscale strategy on {context}",
            detail="The Service needs §5.1's labels and annotation and two ready versions; "
            "a failing prerequisite is named before anything is sent.",
        )
        self.service, self.context, self.namespace = service, context, namespace

    def fields(self) -> list[Field]:
        return [
            text("namespace", "Namespace", self.namespace, required="a namespace is required"),
            text("service", "Service", required="the Service to split is required"),
            text(
                "name",
                "Strategy name",
                required="a name is required",
                validators=(lambda value: validate_name(value, what="strategy"),),
                server=("metadata.name",),
            ),
            radio("kind", "Kind", TYPES),
            text("old", "Version in service", "v1", required="the old version is required"),
            text("new", "New version", "v2", required="the new version is required"),
            number("weight", "New version's share (%)", 10),
            text("header", "Header name (or cookie)", "", placeholder="x-canary / user"),
            text("value", "Value must match (regex)", "", placeholder="beta"),
        ]

    async def send(self, values: Values) -> tuple[str, Written]:
        kind = values["kind"]
        header, value = str(values["header"] or ""), str(values["value"] or "")
        if kind == "cookie":
            header, value = "cookie", f"{header}={value}" if header else value
        form = NewStrategy(
            namespace=values["namespace"],
            service=values["service"],
            name=values["name"],
            type={
                "weight": StrategyType.CANARY,
                "header": StrategyType.CONTENT,
                "cookie": StrategyType.CONTENT,
                "bluegreen": StrategyType.BLUE_GREEN,
                "mirror": StrategyType.MIRROR,
            }[kind],
            old=values["old"],
            new=values["new"],
            weight=int(values["weight"] or 0),
            header=header,
            value=value,
        )
        created, warning = await self.service.create(self.context, form)
        return f"created strategy {values['name']}" + (f" ({warning})" if warning else ""), [
            created
        ]

    def explain(self, error: BaseException) -> tuple[str, dict[str, str]]:
        if isinstance(error, Unmet):
            lines = ["✗ §5.1 prerequisite not met: nothing was sent", *error.problems]
            return "\n".join(lines), {"service": error.problems[0]}
        return super().explain(error)
