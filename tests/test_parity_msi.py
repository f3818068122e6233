"""The MSI renders the plan like the other back ends (tests/test_parity.py): the same steps
in the same order, and the target engine with the same values."""

from __future__ import annotations

from choconsis.plan.engine import engine_variables
from kit.parity import expected, msi_engine_calls, msi_sequence, msi_source, msi_steps


def test_the_msi_renders_the_plans_steps_in_order_with_the_same_engine_values(tmp_path):
    """The MSI renders zip-runtime plans with preinstalled packages (the only kind it takes):
    the same steps as the other back ends, in order (the sequence numbers too), and the engine
    with the same --var names at install, at uninstall and at rollback."""
    plan, wxs = msi_source("zip-preinstalled", tmp_path)
    want_install, want_undo = expected(plan)
    assert msi_steps(wxs, "install") == want_install
    assert msi_steps(wxs, "undo") == want_undo
    sequence = msi_sequence(wxs)
    runs = [sequence[a] for a in sorted(sequence, key=lambda a: int(a[1:].split("_")[0]))
            if not a.endswith("_rollback") and a.split("_", 1)[1] not in (
                "engine_undo", "remove_unpacked")]
    assert runs == sorted(runs) and runs
    undos = [sequence[a] for a in sorted(sequence, key=lambda a: -int(a[1:].split("_")[0]))
             if a.split("_", 1)[1] in ("engine_undo", "remove_unpacked")]
    assert undos == sorted(undos) and max(undos) < 3500 < min(runs)  # before RemoveFiles
    first = plan.steps.index(plan.engine_steps[0]) + 1
    calls = msi_engine_calls(wxs)
    assert calls[f"S{first}_engine_install"] == ("install", engine_variables(plan, "install"))
    for name in (f"S{first}_engine_undo", f"S{first}_engine_rollback"):
        assert calls[name] == ("undo", engine_variables(plan, "undo"))
    # the check's own call (it undoes the engine when the check fails: Wine's rollback)
    check = plan.steps.index(plan.check_step) + 1
    assert calls[f"S{check}_run_check"] == ("undo", engine_variables(plan, "undo"))
    own = {f"S{first}_engine_install", f"S{first}_engine_undo", f"S{first}_engine_rollback",
           f"S{check}_run_check"}
    assert set(calls) == own | {f"{name}_system" for name in own}  # per machine: the twins
    assert all(calls[f"{name}_system"] == calls[name] for name in own)


def test_the_msi_parsers_see_a_step_out_of_order(tmp_path):
    plan, wxs = msi_source("zip-preinstalled", tmp_path)
    swapped = wxs.replace("install step 4 check", "install step 6 check")
    assert msi_steps(swapped, "install") != msi_steps(wxs, "install")
    assert msi_engine_calls(wxs.replace("--var", "--vax")) != msi_engine_calls(wxs)
