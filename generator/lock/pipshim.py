"""The shim that adjusts pip in its own process for a Windows target, then runs pip.

It reaches into pip's internals (pip 23.x and later; :data:`choconsis.lock.resolve.MIN_PIP`).
Its only user is the lock of a Python 2 target: Python 3 targets are resolved with uv
(:mod:`.uvresolve`), which takes the target's platform and version itself.
"""

# Runs as ``python -c PIP_SHIM CONFIG_JSON pip-args...``, then calls pip's own entry point.
# Always: the target's marker environment replaces the build machine's in pip's vendored
# packaging, and ``install`` checks distributions' Requires-Python against --python-version as
# ``download`` does (pip's install command leaves the resolver on this interpreter's version).
# With "target" in the config (a target whose lock may pin sdists, Target.allows_sdists):
# * pip accepts --platform/--python-version/--abi without --only-binary=:all: (its guard,
#   cmdoptions.check_dist_restriction, is there because an sdist built here need not build the
#   same way on the target; for a Python 2 target pip 19 builds it there at install time);
# * get_supported() without arguments (pip's wheel-cache lookups) answers the target's tags,
#   not this machine's, so no wheel built here stands in for an sdist;
# * when building an sdist's metadata fails on this Python (functools32's setup.py exits on
#   Python 3), its PKG-INFO is used if that file is the whole truth about its dependencies:
#   Metadata-Version 2.2+ with Requires-Dist and Requires-Python static (PEP 643), or a
#   distutils-only setup.py that names no install_requires/extras_require.
PIP_SHIM = """\
import email.parser, json, os, re, sys
_config = json.loads(sys.argv[1])
from pip._vendor.packaging import markers
markers.default_environment = lambda: dict(_config["markers"])
from pip._internal.cli.req_command import RequirementCommand
_make_resolver = RequirementCommand.make_resolver.__func__
def _make_resolver_for_target(cls, *args, **kwargs):
    options = kwargs.get("options")
    if kwargs.get("py_version_info") is None and options is not None:
        kwargs["py_version_info"] = options.python_version
    return _make_resolver(cls, *args, **kwargs)
RequirementCommand.make_resolver = classmethod(_make_resolver_for_target)
_target = _config.get("target")
if _target:
    from pip._internal.utils import compatibility_tags
    _get_supported = compatibility_tags.get_supported
    def _target_tags(version=None, platforms=None, impl=None, abis=None):
        return _get_supported(version or _target["version"], platforms or [_target["platform"]],
                              impl or "cp", abis or [_target["abi"]])
    compatibility_tags.get_supported = _target_tags
    from pip._internal.cli import cmdoptions
    cmdoptions.check_dist_restriction = lambda options, check_target=False: None
    from pip._internal.distributions.sdist import SourceDistribution
    from pip._internal.exceptions import InstallationSubprocessError

    def _read(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return None

    def _static_pkg_info(source):
        text = _read(os.path.join(source, "PKG-INFO"))
        if text is None:
            return None
        headers = email.parser.HeaderParser().parsestr(text)
        try:
            version = tuple(int(p) for p in headers.get("Metadata-Version", "").split("."))
        except ValueError:
            return None
        if version >= (2, 2):
            dynamic = {d.strip().lower() for d in headers.get_all("Dynamic") or []}
            return None if dynamic & {"requires-dist", "requires-python"} else text
        setup_py = _read(os.path.join(source, "setup.py")) or ""
        setup_cfg = _read(os.path.join(source, "setup.cfg")) or ""
        distutils_only = ("distutils" in setup_py and "setuptools" not in setup_py
                          and not os.path.exists(os.path.join(source, "pyproject.toml")))
        declares = re.compile(r"install_requires|extras_require|requires_dist")
        if distutils_only and not declares.search(setup_py + setup_cfg):
            return text
        return None

    def _metadata_dir(source, text):
        headers = email.parser.HeaderParser().parsestr(text)
        stem = re.sub(r"[^A-Za-z0-9.]+", "_", headers["Name"]) + "-" + headers["Version"]
        path = os.path.join(source, "choconsis-pkg-info", stem + ".dist-info")
        os.makedirs(path)
        with open(os.path.join(path, "METADATA"), "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    _prepare = SourceDistribution.prepare_distribution_metadata
    def _prepare_or_pkg_info(self, *args, **kwargs):
        try:
            return _prepare(self, *args, **kwargs)
        except InstallationSubprocessError:
            source = self.req.unpacked_source_directory
            text = _static_pkg_info(source)
            if text is None:
                sys.stderr.write(
                    "ERROR: choconsis: the metadata of %s %s (%s) could not be built on Python "
                    "%d.%d, and its PKG-INFO does not settle its dependencies (that needs "
                    "Metadata-Version 2.2+ with static Requires-Dist, or a distutils-only "
                    "setup.py)\\n" % (self.req.name, self.req.link.filename, self.req.link,
                                       sys.version_info[0], sys.version_info[1]))
                raise
            self.req.metadata_directory = _metadata_dir(source, text)
            self.req.assert_source_matches_version()
            sys.stderr.write("choconsis: metadata of %s from its PKG-INFO\\n" % self.req.link)
    SourceDistribution.prepare_distribution_metadata = _prepare_or_pkg_info
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
