"""HTTP endpoints of the DCI social registry API (paths of the spec, at the root of the server)
and the public key set at ``/.well-known/jwks.json``.

Bearer-token authentication and roles are enforced for every route by the application's
authorisation table (``spmis.auth.policy``); the signature, the envelope and the sender are
checked by ``DciService``. Bodies are read as raw JSON so that a malformed envelope gets the
spec's error answer naming the field, never a framework 422 or a 500.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from spmis.auth.deps import Ctx, CurrentActor, client_address
from spmis.errors import NUL_CHARACTER
from spmis.http import nul_fields
from spmis.interop.service import DciService, Delivery, Reply
from spmis.interop.transport import Transport

router = APIRouter(tags=["DCI interoperability"])

#: the largest request body accepted (a batch of 100 searches fits easily)
MAX_BODY_BYTES = 1_000_000


async def _envelope(request: Request) -> tuple[Any, Reply | None]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None, DciService.http_error("err.request.bad",
                                           f"body: larger than {MAX_BODY_BYTES} bytes", 413)
    try:
        envelope = json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, DciService.http_error("err.request.bad", "body: is not valid JSON", 400)
    bad = next(nul_fields(envelope, ()), None)
    if bad is not None:  # PostgreSQL cannot store it in text
        return None, DciService.http_error(
            "err.request.bad", f"{'.'.join(map(str, bad)) or 'body'}: {NUL_CHARACTER[0]}", 400)
    return envelope, None


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python's parser would accept them)."""
    raise ValueError(f"{name} is not allowed in JSON")


def _service(request: Request, ctx: Ctx) -> DciService:
    """The service with the application's one HTTP transport (shared token cache)."""
    transport = getattr(request.app.state, "dci_transport", None)
    if transport is None:
        transport = request.app.state.dci_transport = Transport()
    return DciService(ctx, transport=transport)


def _respond(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status_code)


def _schedule(tasks: BackgroundTasks, service: DciService, delivery: Delivery | None) -> None:
    if delivery is not None:
        tasks.add_task(service.deliver, delivery)


@router.get("/.well-known/jwks.json")
async def jwks(ctx: Ctx) -> dict[str, Any]:
    """The public Ed25519 keys (OKP JWKs) that verify this registry's signatures."""
    return await run_in_threadpool(lambda: DciService(ctx).keys.jwks())


@router.post("/registry/sync/search")
async def sync_search(request: Request, ctx: Ctx, actor: CurrentActor) -> JSONResponse:
    """Search the registry and answer at once with a signed on-search envelope."""
    envelope, error = await _envelope(request)
    if error:
        return _respond(error)
    service = _service(request, ctx)
    return _respond(await run_in_threadpool(service.sync_search, envelope, actor,
                                            client_address(request)))


@router.post("/registry/search")
async def search(request: Request, ctx: Ctx, actor: CurrentActor,
                 tasks: BackgroundTasks) -> JSONResponse:
    """Acknowledge a search; the result is POSTed to the caller's /registry/on-search."""
    envelope, error = await _envelope(request)
    if error:
        return _respond(error)
    service = _service(request, ctx)
    reply, delivery = await run_in_threadpool(service.accept_search, envelope, actor,
                                              client_address(request))
    _schedule(tasks, service, delivery)
    return _respond(reply)


@router.post("/registry/subscribe")
async def subscribe(request: Request, ctx: Ctx, actor: CurrentActor,
                    tasks: BackgroundTasks) -> JSONResponse:
    """Subscribe to registry changes; the codes are POSTed to /registry/on-subscribe."""
    envelope, error = await _envelope(request)
    if error:
        return _respond(error)
    service = _service(request, ctx)
    reply, delivery = await run_in_threadpool(service.subscribe, envelope, actor)
    _schedule(tasks, service, delivery)
    return _respond(reply)


@router.post("/registry/unsubscribe")
async def unsubscribe(request: Request, ctx: Ctx, actor: CurrentActor,
                      tasks: BackgroundTasks) -> JSONResponse:
    """End subscriptions; the outcome is POSTed to /registry/on-unsubscribe."""
    envelope, error = await _envelope(request)
    if error:
        return _respond(error)
    service = _service(request, ctx)
    reply, delivery = await run_in_threadpool(service.unsubscribe, envelope, actor)
    _schedule(tasks, service, delivery)
    return _respond(reply)


@router.post("/registry/txn/status")
async def txn_status(request: Request, ctx: Ctx, actor: CurrentActor,
                     tasks: BackgroundTasks) -> JSONResponse:
    """Status of an earlier transaction, POSTed to /registry/txn/on-status."""
    envelope, error = await _envelope(request)
    if error:
        return _respond(error)
    service = _service(request, ctx)
    reply, delivery = await run_in_threadpool(service.txn_status, envelope, actor)
    _schedule(tasks, service, delivery)
    return _respond(reply)


@router.post("/registry/sync/txn/status")
async def sync_txn_status(request: Request, ctx: Ctx, actor: CurrentActor) -> JSONResponse:
    """Status of an earlier transaction, answered at once."""
    envelope, error = await _envelope(request)
    if error:
        return _respond(error)
    service = _service(request, ctx)
    return _respond(await run_in_threadpool(service.sync_txn_status, envelope, actor))


def _callback(path: str, action: str) -> None:
    async def receive(request: Request, ctx: Ctx, actor: CurrentActor) -> JSONResponse:
        envelope, error = await _envelope(request)
        if error:
            return _respond(error)
        return _respond(await run_in_threadpool(_service(request, ctx).receive, envelope, action,
                                                actor))

    receive.__doc__ = f"Receive a signed {action!r} message from a registry this one queried."
    router.add_api_route(path, receive, methods=["POST"], name=f"dci_{action}")


for _path, _action in (("/registry/on-search", "on-search"),
                       ("/registry/on-subscribe", "on-subscribe"),
                       ("/registry/on-unsubscribe", "on-unsubscribe"),
                       ("/registry/txn/on-status", "txn-on-status"),
                       ("/registry/notify", "notify")):
    _callback(_path, _action)
