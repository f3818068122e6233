"""Saying why a lock cannot be resolved, from the index itself rather than pip's summary.

pip reports an unreachable index, a project that does not exist and a project without a wheel
for the target alike ("Could not find a version that satisfies the requirement X (from
versions: none)"). Before pip runs, :func:`probe_index` reads the page of each requirement of
the recipe: an index that does not answer, or a project it does not have, is reported at once
(URL and reason; a missing project is a recipe error, exit 2). When pip still finds no match,
:func:`explain_no_match` reads that project's page and says which wheels it does have: for
which platforms and Pythons, against the tags the target takes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import BuildError, ChoconsisError, RecipeError
from ..index.simple import (IndexFile, IndexUnreachableError, ProjectNotFoundError, ProjectPage,
                    SimpleIndex, accepts)
from ..recipe.target import Target

PROBE_RETRIES = 1  # an index that refuses the connection is reported in about a second
PROBE_WORKERS = 8


def _index(index_url: str) -> SimpleIndex:
    from ..store import make_session

    return SimpleIndex(index_url, make_session(retries=PROBE_RETRIES))


def probe_index(requirements: Iterable[str], index_url: str, source: str) -> None:
    """Every requirement of the recipe is a project on a reachable index, or a clear error."""
    reqs = list(requirements)
    index = _index(index_url)
    with ThreadPoolExecutor(max(1, min(PROBE_WORKERS, len(reqs)))) as pool:
        futures = [pool.submit(index.project, Requirement(r).name) for r in reqs]
        errors = [f.exception() for f in futures]
    for err in errors:
        if isinstance(err, IndexUnreachableError):
            raise err
    for i, err in enumerate(errors):
        if isinstance(err, ProjectNotFoundError):
            raise RecipeError(source, f"pip.requirements[{i + 1}]", str(err))
    for err in errors:
        if err is not None:
            raise err


def tags_summary(target: Target) -> str:
    tags = [str(t) for t in target.tag_list]
    shown = tags[:3] + ["..."] + [t for t in ("py3-none-any", "py2-none-any") if t in tags][:1]
    return f"{', '.join(shown)} ({len(tags)} tags)"


def _wheel_kinds(files: list[IndexFile], target: Target) -> str:
    """What the project's files of the matching versions are, as a person compares them with
    the target: the platforms and Python tags of the wheels, or why a fitting wheel is out."""
    wheels = [f for f in files if f.is_wheel]
    if not files:
        return "no files"
    if not wheels:
        return "source archives only, no wheel"
    fitting = [f for f in wheels if f.tags is not None and not f.tags.isdisjoint(target.tags)]
    if fitting and not any(accepts(target, f) for f in fitting):
        needs = sorted({f.requires_python or "?" for f in fitting})
        return (f"wheels for this platform that require Python {' or '.join(needs)}, not "
                f"{target.python_version}")
    platforms = sorted({t.platform for f in wheels for t in f.tags or ()})
    pythons = sorted({t.interpreter for f in wheels for t in f.tags or ()})
    return f"wheels for {', '.join(platforms)} (Python tags {', '.join(pythons)})"


def explain_no_match(req_text: str, requirements: tuple[str, ...], target: Target,
                     index_url: str, source: str, pip_says: str,
                     tool: str = "pip") -> ChoconsisError:
    """The error for a requirement pip found no file for (a recipe requirement or one of
    their dependencies): not on the index (exit 2), or on it without a wheel for the target.
    ``pip_says``: the resolver's (``tool``'s) own words."""
    prefix = f"{source}: " if source else ""
    try:
        req = Requirement(req_text)
    except InvalidRequirement:
        return BuildError(f"{prefix}{tool} found no file for {req_text} on {index_url}; "
                          f"{tool} says: {pip_says}")
    top = [canonicalize_name(Requirement(r).name) for r in requirements]
    name = canonicalize_name(req.name)
    role = "" if name in top else " (a dependency of the recipe's requirements)"
    try:
        page: ProjectPage = _index(index_url).project(req.name)
    except ProjectNotFoundError as err:
        if name in top:
            return RecipeError(source, f"pip.requirements[{top.index(name) + 1}]", str(err))
        return ProjectNotFoundError(f"{prefix}{req}{role}: {err}")
    except IndexUnreachableError as err:
        return err
    versions = sorted({f.version for f in page.files})
    matching = [f for f in page.files if req.specifier.contains(f.version, prereleases=True)]
    files = "wheel or source archive" if target.allows_sdists else "wheel"
    head = (f"{prefix}no {files} for {target.label} (Python {target.minor_version}, abi "
            f"{target.abi}) satisfies {req}{role} on {index_url}")
    if not matching:
        listed = ", ".join(str(v) for v in versions[-8:]) or "none"
        return BuildError(f"{head}: the index has no version of {req.name} that matches "
                          f"{req.specifier or 'any'} (versions: {listed}); {tool} says: "
                          f"{pip_says}")
    which = ", ".join(str(v) for v in sorted({f.version for f in matching})[-3:])
    return BuildError(
        f"{head}: the target takes {tags_summary(target)}; {req.name} {which} has "
        f"{_wheel_kinds(matching, target)}; {tool} says: {pip_says}")
