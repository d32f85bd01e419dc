"""The OpenRosa endpoints ODK Collect uses, so an enumerator's phone downloads the questionnaire,
works offline in the village and submits straight to SPMIS (docs/targeting.md, "ODK Collect"):

- ``GET /odk/formList``: the open rounds' forms the enumerator may fill in;
- ``GET /odk/forms/{round_id}/form.xml``: one round's XForm;
- ``HEAD /odk/submission`` (and ``GET``): the pre-check, 204 with the largest size accepted;
- ``POST /odk/submission``: a multipart request whose ``xml_submission_file`` part is the filled
  instance; 201 when it became a draft assessment (or was received before: nothing changes),
  otherwise the reason in English and Khmer in an OpenRosa envelope (400 malformed, 403 a
  household outside the enumerator's commune, 409 a closed round or the same instance with
  other answers).

Every answer carries ``X-OpenRosa-Version: 1.0``. Callers authenticate with HTTP Basic (over
HTTPS) as a staff account with the ``enumerator`` role (``spmis.auth.deps``); a submission
must carry the ``X-OpenRosa-Version`` header, which a web page cannot send to another site.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from spmis.auth.deps import Ctx, CurrentActor
from spmis.db.base import utcnow
from spmis.errors import InvalidInput, SpmisError
from spmis.http import status_of
from spmis.targeting import forms, openrosa
from spmis.targeting.service import TargetingService

router = APIRouter(prefix="/odk", tags=["ODK Collect (OpenRosa)"], include_in_schema=False)

PART = "xml_submission_file"


def _language(request: Request) -> str:
    return "km" if request.headers.get("accept-language", "").lower().startswith("km") else "en"


def _limit(ctx: Ctx) -> int:
    return int(ctx.settings.max_body_staff_bytes)


def _refusal(exc: SpmisError, request: Request, ctx: Ctx) -> Response:
    """A refusal as ODK Collect shows it: the reason in both languages, the phone's first."""
    language = _language(request)
    english = exc.msg
    khmer = exc.msg_km
    if isinstance(exc, InvalidInput) and len(exc.errors) > 1:
        english = "; ".join(f"{e.field}: {e.msg}" for e in exc.errors)
        khmer = "; ".join(f"{e.field}: {e.msg_km}" for e in exc.errors)
    text = f"{khmer} / {english}" if language == "km" else f"{english} / {khmer}"
    status = status_of(exc)
    if isinstance(exc, InvalidInput):
        status = 400
    return openrosa.xml_response(openrosa.envelope(text, "submit_error"), status, _limit(ctx),
                                 language)


@router.get("/formList")
def form_list(request: Request, ctx: Ctx, actor: CurrentActor) -> Response:
    """The forms of the open rounds whose area overlaps the enumerator's."""
    rounds = TargetingService(ctx).open_rounds(actor)
    listed = []
    for r in rounds:
        form = forms.form_for_round(int(r["id"]), str(r["code"]))
        url = str(request.url_for("form_download", round_id=r["id"]))
        listed.append(openrosa.ListedForm(form.form_id, form.title, form.version, form.md5,
                                          url))
    return openrosa.xml_response(openrosa.form_list(listed), 200, _limit(ctx),
                                 _language(request))


@router.get("/forms/{round_id}/form.xml", name="form_download")
def form_download(round_id: int, request: Request, ctx: Ctx, actor: CurrentActor) -> Response:
    """One open round's XForm."""
    try:
        r = TargetingService(ctx).form_round(round_id, actor)
    except SpmisError as exc:
        return _refusal(exc, request, ctx)
    form = forms.form_for_round(int(r["id"]), str(r["code"]))
    return openrosa.xml_response(form.xml, 200, _limit(ctx), _language(request))


@router.api_route("/submission", methods=["GET", "HEAD"])
def pre_check(request: Request, ctx: Ctx, actor: CurrentActor) -> Response:
    """The HEAD request ODK Collect sends before a submission: 204 and the size limit."""
    del actor  # authenticated (and an enumerator) by the route's rule
    return Response(status_code=204, headers=openrosa.headers(_limit(ctx), _language(request)))


@router.post("/submission")
async def submit(request: Request, ctx: Ctx, actor: CurrentActor) -> Response:
    """A filled questionnaire becomes a draft assessment (see the module docstring)."""
    try:
        if request.headers.get("x-openrosa-version") is None:
            raise InvalidInput.one(("X-OpenRosa-Version",), "not_openrosa",
                                   "not an OpenRosa client: the X-OpenRosa-Version header is "
                                   "missing", "មិនមែនជាកម្មវិធី OpenRosa ទេ៖ ខ្វះ "
                                   "X-OpenRosa-Version")
        if not request.headers.get("content-type", "").startswith("multipart/"):
            raise InvalidInput.one((PART,), "missing", f"a multipart request with the part "
                                   f"{PART} is needed", f"ត្រូវការសំណើ multipart ដែលមានផ្នែក {PART}")
        async with request.form() as form:
            part = form.get(PART)
            if not isinstance(part, UploadFile):
                raise InvalidInput.one((PART,), "missing", f"the part {PART} is missing",
                                       f"ខ្វះផ្នែក {PART}")
            data = await part.read()
        submission = forms.parse_instance(data, utcnow())
        received = await run_in_threadpool(TargetingService(ctx).receive, submission, actor)
    except SpmisError as exc:
        return _refusal(exc, request, ctx)
    if received.created:
        text = (f"Received: assessment {received.assessment_id} (draft) / បានទទួល៖ "
                f"ការវាយតម្លៃលេខ {received.assessment_id} (ព្រាង)")
    else:
        text = (f"Already received as assessment {received.assessment_id}: nothing changed / "
                f"បានទទួលរួចហើយជាការវាយតម្លៃលេខ {received.assessment_id}៖ គ្មានអ្វីផ្លាស់ប្តូរ")
    response = openrosa.xml_response(openrosa.envelope(text, "submit_success"), 201,
                                     _limit(ctx), _language(request))
    response.headers["Location"] = str(request.url)
    return response
