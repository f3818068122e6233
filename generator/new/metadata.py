"""A new recipe's [package] fields, from the project's own core metadata (its wheel's METADATA).

Every value is checked with the recipe schema's own check before it is used: a value the
recipe would refuse (plain http, characters that cannot be carried safely) is left out, or
replaced by one composed here. :func:`package_fields` also returns what a person should look at
(a guessed license URL, what the metadata did not say).
"""

from __future__ import annotations

import re
import textwrap
from email.message import Message
from email.utils import getaddresses
from typing import Any, Callable
from urllib.parse import urlsplit

from ..payload.licenses import license_from_metadata
from ..recipe.fields import Bad, as_nonempty_line, as_paragraph, as_tags, as_url

# Project-URL labels (PEP 753 normalises them: lowercase, no punctuation or spaces), by field.
URL_LABELS: dict[str, tuple[str, ...]] = {
    "project_url": ("homepage", "home", "website"),
    "project_source_url": ("source", "sourcecode", "repository", "github", "gitlab", "code"),
    "docs_url": ("documentation", "docs"),
    "bug_tracker_url": ("issues", "bugtracker", "tracker", "bugreports", "issuetracker",
                        "bugs"),
    "mailing_list_url": ("mailinglist", "discussions", "discussion", "forum"),
    "license_url": ("license", "licence"),
}
MAX_TAGS = 10


def _ok(check: Callable[[Any], Any], value: Any) -> Any | None:
    try:
        return check(value)
    except Bad:
        return None


def project_urls(meta: Message) -> dict[str, str]:
    """Project-URL entries by normalised label, plus Home-page as 'homepage'."""
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        key = re.sub(r"[^a-z0-9]", "", label.lower())
        if key and url.strip():
            urls.setdefault(key, url.strip())
    home = (meta.get("Home-page") or "").strip()
    if home and home.upper() != "UNKNOWN":
        urls.setdefault("homepage", home)
    return urls


def _url_for(field: str, urls: dict[str, str]) -> str:
    for label in URL_LABELS[field]:
        url = _ok(as_url, urls.get(label))
        if url:
            return url
    return ""


def authors_of(meta: Message) -> str:
    """Names only (an email address in the nuspec is refused by the moderation: cpmr0020)."""
    for field in ("Author", "Author-email", "Maintainer", "Maintainer-email"):
        raw = (meta.get(field) or "").strip()
        if not raw or raw.upper() == "UNKNOWN":
            continue
        if "@" in raw:
            names = [name for name, _ in getaddresses([raw]) if name and "@" not in name]
            raw = ", ".join(names)
        text = _ok(as_nonempty_line, raw)
        if text:
            return text
    return ""


def license_url(meta: Message, source_url: str) -> tuple[str, str]:
    """(URL, how it was found): the SPDX page of a declared SPDX license, the project's own
    license link, or the LICENSE file of a GitHub/GitLab repository (a guess, said so)."""
    found = license_from_metadata(meta.as_string())
    if found is not None and found.expression:
        first = re.split(r"\s+(?:OR|AND|WITH)\s+|[()]", found.expression)
        spdx = next(part.strip() for part in first if part.strip())
        return f"https://spdx.org/licenses/{spdx}.html", f"the SPDX page of {spdx}"
    own = _url_for("license_url", project_urls(meta))
    if own:
        return own, "the project's License URL"
    host = urlsplit(source_url).hostname or ""
    if host in ("github.com", "gitlab.com", "codeberg.org"):
        middle = "/-/blob/HEAD/" if host == "gitlab.com" else "/blob/HEAD/"
        declared = f" (it declares {found})" if found else ""
        return (source_url.rstrip("/") + middle + "LICENSE",
                f"a guess: the LICENSE file of its repository{declared}; check it")
    return "", ""


def tags_of(meta: Message) -> tuple[str, ...]:
    words = re.split(r"[,\s]+", (meta.get("Keywords") or "").lower())
    tags: list[str] = []
    for word in [*words, "python", "cli"]:
        word = re.sub(r"[^a-z0-9._+-]", "", word)
        if word and word != "chocolatey" and word not in tags:
            tags.append(word)
    return _ok(as_tags, tags[:MAX_TAGS]) or ("python", "cli")


RUNTIME_WORDS = {
    "package": "a private python.org runtime package",
    "zip": "a private runtime",
    "exe": "python.org's installer",
    "msi": "python.org's MSI",
}


def package_fields(meta: Message, *, name: str, version: str, python: str, arch: str,
                   commands: tuple[str, ...], fallback_url: str, runtime: str = "package",
                   installer: str = "uv") -> tuple[dict[str, Any], list[str]]:
    """The [package] table (without id and version) and the notes for the person."""
    notes: list[str] = []
    urls = project_urls(meta)
    source = _url_for("project_source_url", urls)
    home = _url_for("project_url", urls) or source
    if not home:
        home = fallback_url
        notes.append(f"project_url: the metadata names no https home page; set to {home}")
    summary = _ok(as_nonempty_line, (meta.get("Summary") or "").strip()) or \
        f"{name} command-line tool"
    authors = authors_of(meta)
    if not authors:
        authors = f"the {name} authors"
        notes.append(f"authors: the metadata names none; set to {authors!r}")
    bits = "64-bit" if arch == "amd64" else "32-bit"
    listed = ", ".join(f"`{c}`" for c in commands)
    about = textwrap.fill(
        f"Installs {name} {version} with its own Python {python} ({bits}, "
        f"{RUNTIME_WORDS[runtime]}) and puts its command{'s' if len(commands) > 1 else ''} "
        f"{listed} on the PATH. The wheels are installed with {installer} from a lock of "
        "pinned, sha256-checked files.", width=95)
    description = _ok(as_paragraph, f"{summary}\n\n{about}\n") or \
        f"{name} {version} with its own Python {python}.\n"
    lic, how = license_url(meta, source)
    if not lic:
        lic = home
        notes.append("license_url: the metadata names no license URL; set to the project URL "
                     "(check warns, cpmr0038): set the real one")
    elif how.startswith("a guess"):
        notes.append(f"license_url: {how}")
    fields: dict[str, Any] = {
        "title": f"{name} command-line tool",
        "authors": authors,
        "summary": summary,
        "description": description,
        "project_url": home,
        "license_url": lic,
        "project_source_url": source if source != home else "",
        "docs_url": _url_for("docs_url", urls),
        "bug_tracker_url": _url_for("bug_tracker_url", urls),
        "mailing_list_url": _url_for("mailing_list_url", urls),
        "tags": tags_of(meta),
        "release_notes": f"{name} {version} on Python {python}.",
    }
    return {k: v for k, v in fields.items() if v != ""}, notes
