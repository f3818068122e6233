"""The target-side engine: what the installers run with the runtime's own python.exe.

These modules are not imported by choconsis at build time; both back ends ship them as
files (the plan says which: ``InstallPlan.target_files``) and run ``choconsis_engine.py``
once for install and once for undo, with the steps description the plan gives
(``choconsis.plan.engine``). They are Python 2.7 and 3 compatible and use the standard
library only (make_launchers.py borrows the runtime's pip-vendored distlib), because the
runtime may be Python 2.7.
"""
