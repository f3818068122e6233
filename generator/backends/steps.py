"""The one dispatch both back ends share: each plan step, in plan order (install) or in
reverse (undo), through the template macro of its action kind.

A back end subclasses :class:`StepTranslator` with one ``values_<kind>`` method per action
kind, which turns the action's data into values of its language; the macros of its steps
template (``nuspec/steps.ps1.j2``, ``nsis/steps.nsh.j2``) are named ``install_<kind>`` and
``undo_<kind>`` in both. A new kind of action is added once to the plan and once to each
back end, nowhere else.

The steps the target-side engine runs (``Step.in_engine``) are not translated one by one:
the first of them becomes ONE call of the engine (``install_engine`` / ``undo_engine``, in the
undo order at the same step, after the undo of the later engine steps), with the steps
description of :mod:`choconsis.plan.engine`; a back end may add its own native part to an
engine step (``engine_install_<kind>`` / ``engine_undo_<kind>`` macros, with the values of
``values_engine_<kind>``), such as Chocolatey's shims of the commands.
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


@dataclass(frozen=True)
class EngineHead(StepHead):
    """The engine's call: it runs several steps, and names them so."""

    @property
    def name(self) -> str:
        return self.title


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

    def values_engine(self, side: str) -> dict[str, Any]:
        """The values of the install_engine / undo_engine macro (the back end's own)."""
        raise NotImplementedError

    def engine_head(self) -> StepHead:
        """How logs name the engine's call: its steps, by number."""
        numbers = [n for n, s in enumerate(self.plan.steps, start=1) if s.in_engine]
        span = (f"steps {numbers[0]} to {numbers[-1]}" if len(numbers) > 1
                else f"step {numbers[0]}")
        return EngineHead(numbers[0], "engine", f"the engine ({span})", "recorded")

    def engine_block(self, side: str, number: int, step: Step) -> Code:
        """An engine step: the engine's one call at the first of them, and the back end's
        native part of the step, if it has one (after the call at install, before it at
        undo)."""
        action = step.install if side == "install" else step.undo
        parts: list[str] = []
        extra = getattr(self.macros, f"engine_{side}_{action.kind}", None)
        if extra is not None:
            values = getattr(self, f"values_engine_{action.kind}")(step, action)
            parts.append(str(extra(self.head(number, step), **values)))
        if step == self.plan.engine_steps[0]:
            call = getattr(self.macros, f"{side}_engine")(self.engine_head(),
                                                          **self.values_engine(side))
            parts.insert(len(parts) if side == "undo" else 0, str(call))
        return Code("\n".join(parts))

    def block(self, side: str, number: int, step: Step) -> Code:
        if step.in_engine:
            return self.engine_block(side, number, step)
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
