"""The back-end interface: every output renders the plan in memory (writing nothing), is
written once, all or nothing, and ``build`` and ``check`` go through the same calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from choconsis.backends.base import Backend, Rendered, write_rendered
from choconsis.backends.outputs import BACKENDS, DEFAULT_OUTPUTS, backends_for
from choconsis.build import BuildOptions, build, plan_recipe, render_output
from choconsis.errors import BuildError, UsageError
from choconsis.payload import ArtifactStore, Payload
from choconsis.plan import Delivery, Machine
from choconsis.recipe import load_recipe

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "recipes" / "openstack-clients.toml"


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    store = ArtifactStore(cache_dir=tmp_path_factory.mktemp("empty-cache"))
    return plan_recipe(load_recipe(RECIPE), Delivery.WEB, store, fetch=False)


def test_every_output_is_a_backend_named_by_its_public_name():
    assert DEFAULT_OUTPUTS == ("nupkg", "setup")
    for name, cls in BACKENDS.items():
        assert issubclass(cls, Backend) and cls.output == name
    assert [b.output for b in backends_for(("setup", "nupkg"))] == ["nupkg", "setup"]
    with pytest.raises(UsageError, match="unknown output.*msix.*nupkg, setup, portable"):
        backends_for(("msix",))


# The outputs with sources of their own that render from a web payload (portable renders
# the payload's portable tree: tests/test_release.py; winget and scoop have no sources).
# The MSI renders from a preinstalled payload only (tests/test_msi.py).
SOURCES = [n for n, b in BACKENDS.items() if b.folder and not b.payload_parts and not b.delivery]


@pytest.mark.parametrize("name", SOURCES)
def test_render_writes_nothing_and_writing_is_one_step(name, plan, tmp_path, monkeypatch):
    backend = BACKENDS[name]()
    monkeypatch.chdir(tmp_path)
    rendered = backend.render(plan, Payload(Delivery.WEB))
    assert list(tmp_path.iterdir()) == []  # rendering touched no file
    assert all(isinstance(c, (bytes, Path)) for c in rendered.files.values())
    folder = render_output(backend, plan, Payload(Delivery.WEB), tmp_path / "src")
    assert folder == tmp_path / "src" / backend.folder
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert written == sorted(rendered.files)
    assert backend.artifact_name(plan).startswith(f"{plan.package.id}")


def test_a_failed_write_leaves_the_old_folder(tmp_path):
    dest = tmp_path / "out"
    write_rendered(Rendered({"keep.txt": b"old"}), dest)
    broken = Rendered({"a.txt": b"new", "b.bin": tmp_path / "missing-payload-file"})
    with pytest.raises(OSError):
        write_rendered(broken, dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary sibling left


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b"])
def test_a_path_outside_the_folder_is_refused(name):
    with pytest.raises(BuildError, match="outside its folder"):
        Rendered().add(name, b"")


def test_build_renders_only_the_outputs_asked_for(tmp_path):
    out = tmp_path / "dist"
    result = build(RECIPE, BuildOptions(out_dir=out, outputs=("nupkg",),
                                        cache_dir=tmp_path / "cache"), compile_outputs=False)
    assert result.sources == [out / "openstack-clients" / "chocolatey"]
    assert sorted(p.name for p in (out / "openstack-clients").iterdir()) == ["chocolatey"]
    assert not [p for p in out.iterdir() if p.name.startswith(".choconsis-")]


def test_the_plan_holds_the_facts_every_back_end_uses(plan):
    assert plan.delivery is Delivery.WEB
    assert plan.machine == Machine(64) and plan.machine.registry_view == "64"
    assert plan.commands == ("openstack", "nova", "cinder", "glance", "swift")
    assert Machine(32).registry_view == "32" and not Machine(32).is_64bit


def test_planning_reads_no_wheel(tmp_path, monkeypatch):
    """The shipped lock records its console scripts: with an empty cache and no network,
    planning still knows the commands (it never opens the store)."""
    def refuse(*args, **kwargs):
        raise AssertionError("planning fetched a file")

    monkeypatch.setattr(ArtifactStore, "fetch_url", refuse)
    store = ArtifactStore(cache_dir=tmp_path / "cache")
    plan = plan_recipe(load_recipe(RECIPE), Delivery.OFFLINE, store)
    assert plan.delivery is Delivery.OFFLINE and "openstack" in plan.commands
