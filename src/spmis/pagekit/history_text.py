"""A record's history in the reader's language (issue 13, item 17). Entries written by the
system carry English notes ("import batch 2: households.csv", "[request 2 by reg1, approved by
boss]", "automatic merge by run 3: ..."); they are stored as written, and said here in words
of the catalogue. A reason a person typed is shown as typed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from spmis.pagekit.i18n import Formatter
from spmis.pagekit.texts import N_

#: who did it, when it was not a person
ACTORS = {"system": N_("the system")}

_IMPORT = re.compile(r"^import batch (?P<batch>\d+): (?P<file>.+)$")
_AUTO = re.compile(r"^automatic merge by run (?P<run>\d+): match probability >= "
                   r"(?P<p>[0-9.]+), no conflicting identifier$")
_REQUEST = re.compile(r"^(?P<reason>.*) \[request (?P<request>\d+) by (?P<maker>[^,\]]+), "
                      r"approved by (?P<checker>[^\]]+)\]$", re.S)
_REVIEW = re.compile(r"^(?P<reason>.*) \[review (?P<review>\d+): accepted by (?P<maker>[^,\]]+), "
                     r"approved by (?P<checker>[^\]]+)\]$", re.S)
_REQUESTED = re.compile(r"^(?P<reason>.*) \[requested by (?P<maker>[^,\]]+), "
                        r"approved by (?P<checker>[^\]]+)\]$", re.S)


@dataclass(frozen=True)
class Note:
    """A history entry's reason: ``text`` typed by a person (shown as it is, may be empty), and
    ``said``, a catalogue message with its values for what the system added."""

    text: str
    said: str | None = None
    values: dict[str, Any] | None = None


def note(reason: str | None) -> Note:
    """What ``reason`` says, split into the typed part and the system's part."""
    reason = reason or ""
    if m := _IMPORT.match(reason):
        return Note("", N_("import batch %(batch)s: %(file)s"),
                    {"batch": int(m["batch"]), "file": m["file"]})
    if m := _AUTO.match(reason):
        return Note("", N_("merged automatically by run %(run)s (certain match, no conflicting "
                           "identifier)"), {"run": int(m["run"])})
    if m := _REQUEST.match(reason):
        return Note(m["reason"], N_("request %(request)s by %(maker)s, approved by %(checker)s"),
                    {"request": int(m["request"]), "maker": m["maker"], "checker": m["checker"]})
    if m := _REVIEW.match(reason):
        return Note(m["reason"], N_("pair %(review)s accepted by %(maker)s, approved by "
                                    "%(checker)s"),
                    {"review": int(m["review"]), "maker": m["maker"], "checker": m["checker"]})
    if m := _REQUESTED.match(reason):
        return Note(m["reason"], N_("requested by %(maker)s, approved by %(checker)s"),
                    {"maker": m["maker"], "checker": m["checker"]})
    return Note(reason)


def data(text: object) -> Markup:
    """Text that is data, not words of the page (a name in Latin letters, a user name, a file
    name, a typed reason, a masked number): isolated for bidirectional text and never
    machine-translated (``translate="no"``, which the Khmer-page check also skips). Templates
    use it as the ``data`` filter."""
    if text is None or text == "":
        return Markup("")
    return Markup('<bdi translate="no">%s</bdi>') % text


def said_values(n: Note, fmt: Formatter) -> dict[str, Any]:
    """The values of ``n.said`` as the page shows them: numbers in the reader's digits, names
    and file names as data."""
    return {k: fmt.number(v) if isinstance(v, int) else data(str(v))
            for k, v in (n.values or {}).items()}
