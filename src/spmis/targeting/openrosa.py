"""OpenRosa, as ODK Collect speaks it (docs.getodk.org, "OpenRosa"): the headers every answer
carries, the form list document and the response envelope of a submission, in XML."""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import formatdate
from xml.sax.saxutils import escape

from fastapi.responses import Response

__all__ = ["FORM_LIST_NS", "RESPONSE_NS", "ListedForm", "envelope", "form_list", "headers",
           "xml_response"]

RESPONSE_NS = "http://openrosa.org/http/response"
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
XML_TYPE = "text/xml; charset=utf-8"


def headers(accept_bytes: int, language: str = "en") -> dict[str, str]:
    """The headers of every OpenRosa answer: the version, the server's date and the largest
    submission it takes."""
    return {"X-OpenRosa-Version": "1.0", "Date": formatdate(usegmt=True),
            "X-OpenRosa-Accept-Content-Length": str(accept_bytes),
            "Content-Language": language}


class ListedForm:
    """One entry of the form list."""

    def __init__(self, form_id: str, name: str, version: str, md5: str, url: str) -> None:
        self.form_id, self.name, self.version, self.md5, self.url = (form_id, name, version,
                                                                     md5, url)


def form_list(forms: Iterable[ListedForm]) -> str:
    """The form list document (``<xforms>`` in the xformsList namespace)."""
    items = "".join(
        f"<xform><formID>{escape(f.form_id)}</formID><name>{escape(f.name)}</name>"
        f"<version>{escape(f.version)}</version><hash>md5:{f.md5}</hash>"
        f"<downloadUrl>{escape(f.url)}</downloadUrl></xform>" for f in forms)
    return (f"<?xml version='1.0' encoding='UTF-8' ?><xforms xmlns=\"{FORM_LIST_NS}\">{items}"
            "</xforms>")


def envelope(message: str, nature: str) -> str:
    """An OpenRosa response envelope with one message for the person at the phone."""
    return (f"<?xml version='1.0' encoding='UTF-8' ?><OpenRosaResponse xmlns=\"{RESPONSE_NS}\">"
            f"<message nature=\"{escape(nature)}\">{escape(message)}</message>"
            "</OpenRosaResponse>")


def xml_response(body: str, status: int, accept_bytes: int, language: str = "en") -> Response:
    """An XML answer with the OpenRosa headers."""
    return Response(body, status_code=status, media_type=XML_TYPE,
                    headers=headers(accept_bytes, language))
