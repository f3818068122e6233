"""The one dispatch both back ends share: each plan step, in plan order (install) or in
reverse (undo), through the template macro of its action kind.

A back end subclasses :class:`StepTranslator` with one ``values_<kind>`` method per action
kind, which turns the action's data into values of its language; the macros of its steps
template (``nuspec/steps.ps1.j2``, ``nsis/steps.nsh.j2``) are named ``install_<kind>`` and
``undo_<kind>`` in both. A new kind of action is added once to the plan and once to each
back end, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BuildError
from ..plan import Action, InstallPlan, Step
from .templating import Code


@dataclass(frozen=True)
class StepHead:
    """What every macro gets about its step: number, state key, title and ownership rule."""

    number: int
    key: str
    title: str
    owns: str

    @property
    def name(self) -> str:
        """How logs and errors name the step: step 2 (pyOpenSSL 0.13)."""
        return f"step {self.number} ({self.title})"


class StepTranslator:
    backend = "?"

    def __init__(self, plan: InstallPlan, macros: Any):
        self.plan = plan
        self.macros = macros

    def head(self, number: int, step: Step) -> StepHead:
        return StepHead(number, step.key, step.title, str(step.owns))

    def values(self, step: Step, action: Action) -> dict[str, Any]:
        method = getattr(self, f"values_{action.kind}", None)
        if method is None:
            raise BuildError(f"the {self.backend} back end cannot render a {action.kind} action "
                             f"(step {step.title})")
        return method(step, action)

    def block(self, side: str, number: int, step: Step) -> Code:
        action = step.install if side == "install" else step.undo
        macro = getattr(self.macros, f"{side}_{action.kind}", None)
        if macro is None:
            raise BuildError(f"the {self.backend} back end has no {side}_{action.kind} macro")
        return Code(str(macro(self.head(number, step), **self.values(step, action))))

    def blocks(self, side: str) -> list[tuple[int, Code]]:
        """(step number, rendered block) of every step: install in plan order, undo reversed."""
        numbered = list(enumerate(self.plan.steps, start=1))
        if side == "undo":
            numbered.reverse()
        return [(number, self.block(side, number, step)) for number, step in numbered]
