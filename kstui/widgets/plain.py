"""Plain: a Static for text that may hold cluster or kubeconfig data (names, aliases, errors).

Never parsed as markup, and every string passes `inert` first, so no control, bidi or
zero-width character in the data reaches the terminal. Renderables built by kstui itself
(rich Text, Content) pass through unchanged: whoever builds one made its strings inert.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static

from kstui.safe_text import inert, inert_line


class Plain(Static):
    def __init__(
        self,
        content: VisualType = "",
        *,
        one_line: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self.one_line = one_line
        """Headers and breadcrumbs: a newline in the data shows as ␤ instead of hiding the
        rest of the line."""
        super().__init__(self._safe(content), markup=False, id=id, classes=classes)

    def _safe(self, content: VisualType) -> VisualType:
        if isinstance(content, str):
            return inert_line(content) if self.one_line else inert(content)
        return content

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(self._safe(content), layout=layout)
