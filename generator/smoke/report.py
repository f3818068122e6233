"""The smoke test's report: phases, each timed and made of named checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path



@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    checks: list[Check] = field(default_factory=list)
    output: str = ""  # what the phase's program printed (kept for the report and tests)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


FAILED_OUTPUT_LINES = 40  # of a failed phase's output (e.g. the install log), in the report


@dataclass
class SmokeReport:
    setup_exe: Path
    package_id: str
    version: str
    phases: list[Phase] = field(default_factory=list)
    prefix: Path | None = None  # kept prefix, if any

    @property
    def ok(self) -> bool:
        """True only if there were checks and every one held."""
        checks = [c for p in self.phases for c in p.checks]
        return bool(checks) and all(c.ok for c in checks)

    def phase(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    def seconds(self, name: str) -> float:
        return self.phase(name).seconds

    @property
    def failures(self) -> list[str]:
        return [f"{p.name}: {c.name}" + (f" ({c.detail})" if c.detail else "")
                for p in self.phases for c in p.checks if not c.ok]

    def format(self) -> str:
        lines = [f"smoke test of {self.setup_exe.name} ({self.package_id} {self.version})"]
        for p in self.phases:
            mark = "ok  " if p.ok else "FAIL"
            lines.append(f"{mark} {p.name:<10} {p.seconds:7.1f} s")
            for c in p.checks:
                detail = f": {c.detail}" if c.detail else ""
                lines.append(f"       [{'x' if c.ok else ' '}] {c.name}{detail}")
            if not p.ok and p.output.strip():
                tail = p.output.strip().splitlines()[-FAILED_OUTPUT_LINES:]
                lines.append(f"       last {len(tail)} lines of what {p.name} printed or logged:")
                lines += ["       | " + line.rstrip() for line in tail]
        total = sum(p.seconds for p in self.phases)
        verdict = "PASSED" if self.ok else f"FAILED ({len(self.failures)} checks)"
        lines.append(f"{verdict} in {total:.1f} s")
        if self.prefix is not None:
            lines.append(f"Wine prefix kept in {self.prefix}")
        return "\n".join(lines)
