"""The SBOM and the Chocolatey VERIFICATION.txt / LICENSE.txt texts."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from choconsis.backends.chocolatey.verification import (embedded_files, license_txt,
                                                        verification_txt)
from choconsis.backends.sbom import make_sbom, pypi_purl, sbom_filename, write_sbom
from choconsis.errors import ArtifactError, BuildError
from choconsis.payload import Payload, fetch_wheels, wheel_licenses
from choconsis.payload.licenses import License, license_from_metadata
from choconsis.store import ArtifactStore
from choconsis.plan import Delivery, build_plan
from choconsis.recipe import load_recipe
from kit.locks import file_wheel, lock_of
from kit.recipes import RECIPES


def make_wheel(folder: Path, name: str, version: str, headers: list[str]) -> Path:
    """A minimal real wheel: a zip with <name>-<version>.dist-info/METADATA."""
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    meta = "\n".join(["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}",
                      *headers]) + "\n\nLong description.\n"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name.replace('-', '_')}-{version}.dist-info/METADATA", meta)
        zf.writestr(f"{name.replace('-', '_')}/__init__.py", "")
    return path


WHEELS = [
    ("python-openstackclient", "10.5.0", ["License-Expression: apache-2.0"]),
    ("cliff", "4.9.1", ["License: Apache-2.0"]),
    ("six", "1.17.0", ["License: MIT",
                       "Classifier: License :: OSI Approved :: MIT License"]),
    ("idna", "3.10", ["Classifier: License :: OSI Approved :: BSD License"]),
    ("python-keystoneclient", "6.0.0", []),
    ("python-novaclient", "18.13.1", []),
    ("python-cinderclient", "9.10.0", []),
    ("python-glanceclient", "4.13.0", []),
    ("python-swiftclient", "4.11.0", []),
]


@pytest.fixture
def built(tmp_path):
    """A plan of the 2013 recipe (runtime + pyOpenSSL MSI) with a lock of real tiny wheels."""
    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir()
    recipe = load_recipe(RECIPES / "openstack-clients-2013.toml")
    versions = dict(r.split("==") for r in recipe.pip.requirements)
    wheels = []
    for name, version, headers in WHEELS:
        version = versions.get(name, version)
        wheels.append(file_wheel(make_wheel(wheel_dir, name, version, headers), name, version,
                                 "https://files.example/packages/"))
    lock = lock_of(recipe, wheels)
    plan = build_plan(recipe, lock)
    store = ArtifactStore(cache_dir=tmp_path / "cache", artifacts_dir=wheel_dir)
    return plan, store, wheel_dir


def payload_of(plan, store: ArtifactStore, fetch: bool = True) -> Payload:
    """A payload holding the lock's wheels (fetch, as an embedding build does), or only
    what the cache has (a web build)."""
    files = fetch_wheels(plan.lock, store) if fetch else []
    wheels = {w.filename: path for w, path in zip(plan.lock.wheels, files)}
    return Payload(Delivery.WEB, wheels=wheels,
                   wheel_licenses=wheel_licenses(plan.lock, store, wheels))


def test_license_from_metadata_order():
    assert license_from_metadata("License-Expression: mit OR apache-2.0\nLicense: BSD\n") \
        == License(expression="MIT OR Apache-2.0")
    assert license_from_metadata("License: Apache-2.0\n") == License(expression="Apache-2.0")
    assert license_from_metadata(
        "License: Apache License, Version 2.0\n"
        "Classifier: License :: OSI Approved :: MIT License\n") == License(expression="MIT")
    assert license_from_metadata(
        "Classifier: License :: OSI Approved :: BSD License\n") == License(name="BSD License")
    assert license_from_metadata("License: Apache License, Version 2.0\n") \
        == License(name="Apache License, Version 2.0")
    assert license_from_metadata(
        "Classifier: License :: OSI Approved\n"
        "Classifier: License :: OSI Approved :: Apache Software License\n"
    ) == License(name="Apache Software License")
    assert license_from_metadata("License: UNKNOWN\n") is None
    assert license_from_metadata("Name: x\n") is None


def test_license_field_holding_the_whole_text_is_not_a_name():
    meta = "License: Copyright (c) 2020 Someone\n        Permission is hereby granted...\n"
    assert license_from_metadata(meta) is None


def test_sbom_lists_every_artifact_and_wheel(built):
    plan, store, _ = built
    doc = make_sbom(plan, payload_of(plan, store))
    comps = {c["bom-ref"]: c for c in doc["components"]}
    assert len(comps) == len(plan.artifacts) + len(plan.lock.wheels)
    for w in plan.lock.wheels:
        c = comps[pypi_purl(w.name, w.version)]
        assert (c["name"], c["version"], c["purl"]) == (w.name, w.version,
                                                         f"pkg:pypi/{w.name}@{w.version}")
        assert c["hashes"] == [{"alg": "SHA-256", "content": w.sha256}]
        assert c["externalReferences"] == [{"type": "distribution", "url": w.url}]
    for a in plan.artifacts:
        c = comps[f"artifact:{a.filename}"]
        assert c["hashes"][0]["content"] == a.sha256
        assert c["externalReferences"][0]["url"] == a.url
    runtime = comps[f"artifact:{plan.artifacts[0].filename}"]
    assert runtime["licenses"] == [{"expression": "PSF-2.0"}]
    assert runtime["version"] == plan.runtime.version
    msi = next(c for c in comps.values() if c["name"].startswith("pyOpenSSL"))
    assert msi["licenses"] == [{"expression": "Apache-2.0"}] and msi["version"] == "0.13"
    lic = {c["name"]: c.get("licenses") for c in comps.values()}
    assert lic["python-openstackclient"] == [{"expression": "Apache-2.0"}]
    assert lic["cliff"] == [{"expression": "Apache-2.0"}]
    assert lic["six"] == [{"expression": "MIT"}]
    assert lic["idna"] == [{"license": {"name": "BSD License"}}]
    assert lic["python-novaclient"] is None
    root = doc["metadata"]["component"]
    assert (root["name"], root["version"]) == (plan.package.id, plan.package.version)
    assert doc["dependencies"][0]["dependsOn"] == sorted(comps)


def test_sbom_validates_against_the_cyclonedx_schema(built):
    validation = pytest.importorskip("cyclonedx.validation.json")
    from cyclonedx.schema import SchemaVersion

    plan, store, _ = built
    text = json.dumps(make_sbom(plan, payload_of(plan, store), timestamp=1_700_000_000))
    validator = validation.JsonStrictValidator(SchemaVersion.V1_5)
    assert validator.validate_str(text) is None
    broken = json.loads(text)
    broken["components"][0]["hashes"][0]["alg"] = "SHA-257"
    assert validator.validate_str(json.dumps(broken)) is not None


def test_sbom_describes_each_output_with_its_sha256(built, tmp_path):
    """The artifacts of a build, as their back ends describe them, nested in the root
    component; still valid CycloneDX 1.5."""
    validation = pytest.importorskip("cyclonedx.validation.json")
    from cyclonedx.schema import SchemaVersion

    from choconsis.backends.outputs import backends_for
    from choconsis.backends.base import Options

    plan, store, _ = built
    outputs = []
    for backend in backends_for(("nupkg", "setup")):
        staged = tmp_path / backend.artifact_name(plan)
        staged.write_bytes(backend.output.encode() * 3)
        outputs.append((backend.describe(plan, Path("/dist") / staged.name, Options()), staged))
    doc = make_sbom(plan, payload_of(plan, store), timestamp=1_700_000_000, outputs=outputs)
    files = doc["metadata"]["component"]["components"]
    assert [(f["name"], f["hashes"][0]["content"], f["properties"][0]["value"]) for f in files] \
        == [(staged.name, hashlib.sha256(staged.read_bytes()).hexdigest(), d.output)
            for d, staged in outputs]
    assert files[1]["mime-type"] == "application/vnd.microsoft.portable-executable"
    validator = validation.JsonStrictValidator(SchemaVersion.V1_5)
    assert validator.validate_str(json.dumps(doc)) is None
    assert "components" not in make_sbom(plan, payload_of(plan, store))["metadata"]["component"]


def test_sbom_is_deterministic_and_serial_follows_content(built, tmp_path, monkeypatch):
    plan, store, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = write_sbom(plan, payload_of(plan, store), tmp_path / "a")
    b = write_sbom(plan, payload_of(plan, store), tmp_path / "b")
    assert a.name == sbom_filename(plan) == f"{plan.package.id}-{plan.package.version}.cdx.json"
    assert a.read_bytes() == b.read_bytes()
    doc = json.loads(a.read_text())
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    other = make_sbom(plan, payload_of(plan, store), timestamp=1_700_000_001)
    assert other["serialNumber"] != doc["serialNumber"]
    assert "timestamp" not in make_sbom(plan, payload_of(plan, store))["metadata"]


def test_without_fetch_only_cached_wheels_give_licenses(built):
    plan, store, _ = built
    doc = make_sbom(plan, payload_of(plan, store, fetch=False))  # nothing cached, no download
    assert all("licenses" not in c for c in doc["components"] if c["type"] == "library")
    payload_of(plan, store)  # fills the cache from --artifacts
    doc = make_sbom(plan, payload_of(plan, ArtifactStore(cache_dir=store.cache_dir), fetch=False))
    assert any("licenses" in c for c in doc["components"] if c["type"] == "library")


def test_an_unreadable_wheel_is_listed_without_a_license(built, tmp_path):
    plan, store, wheel_dir = built
    victim = plan.lock.wheels[0]
    body = b"not a zip"
    (wheel_dir / victim.filename).write_bytes(body)
    digest = hashlib.sha256(body).hexdigest()
    lock = plan.lock.__class__(**{**plan.lock.__dict__, "wheels": (
        victim.__class__(victim.name, victim.version, digest, victim.filename, victim.url),
        *plan.lock.wheels[1:])})
    plan = plan.__class__(**{**plan.__dict__, "lock": lock})
    comps = {c["name"]: c for c in make_sbom(plan, payload_of(plan, store))["components"]}
    assert "licenses" not in comps[victim.name]
    assert comps[victim.name]["hashes"][0]["content"] == digest
    assert "licenses" in comps["cliff"]


def test_a_wheel_that_does_not_match_its_pin_fails_the_sbom(built, tmp_path):
    plan, store, wheel_dir = built
    victim = wheel_dir / plan.lock.wheels[0].filename
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(ArtifactError, match=plan.lock.wheels[0].name):
        write_sbom(plan, payload_of(plan, store), tmp_path / "out")
    assert not (tmp_path / "out" / sbom_filename(plan)).exists()


def test_verification_txt_names_each_file_url_and_checksum(built):
    plan, store, _ = built
    files = embedded_files(plan, payload_of(plan, store), "wheels")
    text = verification_txt(plan, files)
    assert len(files) == len(plan.lock.wheels)  # this payload holds the wheels only
    assert "Get-FileHash -Algorithm SHA256" in text
    for f in files:
        block = text.split(f"tools\\{f.filename}\n", 1)[1].split("\n\n", 1)[0]
        assert f"url:      {f.url}" in block and f"checksum: {f.sha256.upper()}" in block
    with pytest.raises(BuildError):
        verification_txt(plan, [])


def test_license_txt_points_to_the_license(built):
    plan, _, _ = built
    text = license_txt(plan)
    assert plan.package.license_url in text
    assert "PSF-2.0" in text and "pyOpenSSL" in text and "Apache-2.0" in text
    assert sbom_filename(plan) in text
