"""``spmis dci ...``: this registry's DCI keys, its peers, and SPMIS as a DCI client.

    spmis dci keys                                   # the JWKS this registry publishes
    spmis dci peer add registry-b.gov.kh --url https://b.example --client-id c_.. \\
        --client-secret ... --inbound-client c_.. --fetch-jwks
    spmis dci search --peer registry-b.gov.kh --id-type NID --id-value 012345678
    spmis dci search --peer registry-b.gov.kh --where "sex eq F" --where "YOB lt 1960"
    spmis dci subscribe --peer registry-b.gov.kh --where "area_code eq 12"
    spmis dci notify                                 # send change notifications (cron)
    spmis dci inbox                                  # results and notifications received
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console

from spmis.config import get_settings

app = typer.Typer(help="DCI interoperability: keys, peers, search other registries.",
                  no_args_is_help=True)
peer_app = typer.Typer(help="Registries this one talks to.", no_args_is_help=True)
app.add_typer(peer_app, name="peer")
console = Console(soft_wrap=True)

PeerOpt = Annotated[str, typer.Option("--peer", help="the peer's DCI sender_id or base URL")]
WhereOpt = Annotated[list[str] | None, typer.Option(
    "--where", help="'attribute op value' (op: eq lt gt le ge in; 'in' takes a,b,c); repeat = and")]


def _service():  # type: ignore[no-untyped-def]
    from spmis.context import AppContext
    from spmis.interop.service import DciService

    return DciService(AppContext.create(get_settings()))


def _fail(exc: Exception) -> None:
    from spmis.errors import InvalidInput

    text = "; ".join(f"{e.field}: {e.msg}" for e in exc.errors) if isinstance(
        exc, InvalidInput) else str(exc)
    console.print(f"[red]{text}[/red]")
    raise typer.Exit(1)


def _peer_id(service: Any, peer: str) -> str:
    """A peer named by its sender_id or by its registered base URL."""
    if not peer.startswith(("http://", "https://")):
        return peer
    for item in service.keys.peers():
        if item["base_url"] == peer.rstrip("/"):
            return str(item["sender_id"])
    raise typer.BadParameter(f"no registered peer at {peer}", param_hint="--peer")


def _print(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def predicate(where: list[str]) -> list[dict[str, Any]]:
    """``--where`` options as a DCI predicate query."""
    out = []
    for i, text in enumerate(where, start=1):
        parts = text.split(None, 2)
        if len(parts) != 3:
            raise typer.BadParameter(f"{text!r}: write 'attribute op value'", param_hint="--where")
        name, op, value = parts
        out.append({"seq_num": i, "expression1": {"attribute_name": name, "operator": op,
                                                  "attribute_value": value}})
    return out


def _query(id_type: str | None, id_value: str | None, where: list[str] | None,
           expression: str | None) -> tuple[str, Any]:
    if id_type and id_value:
        return "idtype-value", {"type": id_type, "value": id_value}
    if where:
        return "predicate", predicate(where)
    if expression:
        try:
            return "expression", {"type": "ns:org:QueryType:NoSql",
                                  "value": {"expression": json.loads(expression)}}
        except ValueError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="--expression") from None
    raise typer.BadParameter("give --id-type and --id-value, --where, or --expression")


@app.command("keys")
def keys(rotate: Annotated[bool, typer.Option(help="create a new signing key first")] = False
         ) -> None:
    """Print the public keys (JWKS) this registry signs with; give them to peers."""
    service = _service()
    if rotate:
        service.keys.rotate()
    _print(service.keys.jwks())


@peer_app.command("add")
def peer_add(
    sender_id: str,
    url: Annotated[str, typer.Option(help="the peer's base URL")],
    client_id: Annotated[str | None, typer.Option(help="our API client at the peer")] = None,
    client_secret: Annotated[str | None, typer.Option(help="its secret")] = None,
    inbound_client: Annotated[str | None, typer.Option(
        help="the API client (of this registry) the peer must call with")] = None,
    jwks: Annotated[str | None, typer.Option(help="file with the peer's JWKS")] = None,
    fetch_jwks: Annotated[bool, typer.Option(
        help="fetch the peer's /.well-known/jwks.json (check the kids out of band)")] = False,
) -> None:
    """Register (or update) a peer registry and trust its public keys."""
    service = _service()
    try:
        service.keys.add_peer(sender_id, url, "system", client_id, client_secret, inbound_client)
        key_set: Any = None
        if jwks:
            with open(jwks, encoding="utf-8") as handle:
                key_set = json.load(handle)
        elif fetch_jwks:
            key_set = service.transport.get_json(url.rstrip("/") + "/.well-known/jwks.json")
        for jwk in (key_set or {}).get("keys", []):
            kid = service.keys.add_peer_key(sender_id, jwk, "system")
            console.print(f"trusted key {kid} of {sender_id}")
    except Exception as exc:
        _fail(exc)
    console.print(f"peer {sender_id} registered")


@peer_app.command("list")
def peer_list() -> None:
    """Registered peers and their trusted key ids."""
    _print(_service().keys.peers())


@app.command("search")
def search(
    peer: PeerOpt,
    id_type: Annotated[str | None, typer.Option(help="NID, MOBILE, BRN, IDPOOR, NSSF")] = None,
    id_value: Annotated[str | None, typer.Option()] = None,
    where: WhereOpt = None,
    expression: Annotated[str | None, typer.Option(
        help='JSON {"collection": "Person", "query": {...}}')] = None,
    entity: Annotated[str | None, typer.Option(help="Member or Household")] = None,
    page_size: Annotated[int | None, typer.Option()] = None,
    page: Annotated[int, typer.Option()] = 1,
    purpose: Annotated[str | None, typer.Option(help="consent purpose, e.g. data_sharing")] = None,
    async_: Annotated[bool, typer.Option("--async", help="ask for a callback instead")] = False,
    callback: Annotated[str | None, typer.Option(
        help="callback URL for --async (default: this registry's URL known to the peer)")] = None,
) -> None:
    """Search another registry; prints its verified answer (or the acknowledgement)."""
    from spmis.interop.client import DciClient, search_criteria

    query_type, query = _query(id_type, id_value, where, expression)
    criteria = search_criteria(query_type, query, entity=entity, page_size=page_size,
                               page_number=page, purpose=purpose)
    service = _service()
    try:
        _print(DciClient(service).search(_peer_id(service, peer), [criteria], sync=not async_,
                                         callback_uri=callback))
    except Exception as exc:
        _fail(exc)


@app.command("subscribe")
def subscribe(
    peer: PeerOpt,
    where: WhereOpt = None,
    id_type: Annotated[str | None, typer.Option()] = None,
    id_value: Annotated[str | None, typer.Option()] = None,
    event: Annotated[str, typer.Option(help="REGISTER or NewHouseHoldMember")] = "REGISTER",
    entity: Annotated[str | None, typer.Option(help="Member or Household")] = None,
) -> None:
    """Subscribe to changes in another registry (codes arrive in the inbox)."""
    from spmis.interop.client import DciClient

    filter_type, query = _query(id_type, id_value, where, None)
    service = _service()
    try:
        _print(DciClient(service).subscribe(_peer_id(service, peer), filter_type, query,
                                            reg_event_type=event, entity=entity))
    except Exception as exc:
        _fail(exc)


@app.command("unsubscribe")
def unsubscribe(peer: PeerOpt, codes: list[str]) -> None:
    """End subscriptions at another registry."""
    from spmis.interop.client import DciClient

    service = _service()
    try:
        _print(DciClient(service).unsubscribe(_peer_id(service, peer), codes))
    except Exception as exc:
        _fail(exc)


@app.command("status")
def status(peer: PeerOpt, transaction_id: str,
           txn_type: Annotated[str, typer.Option(help="search or subscibe")] = "search") -> None:
    """Status of a transaction sent to another registry."""
    from spmis.interop.client import DciClient

    service = _service()
    try:
        _print(DciClient(service).txn_status(_peer_id(service, peer), "transaction_id",
                                             transaction_id, txn_type))
    except Exception as exc:
        _fail(exc)


@app.command("notify")
def notify(loop: Annotated[int, typer.Option(
        help="repeat every N seconds (0: run once)")] = 0) -> None:
    """Send notifications of registry changes to subscribers."""
    from spmis.interop.notifier import Notifier

    notifier = Notifier(_service())
    while True:
        run = notifier.run()
        console.print(f"change_log up to {run.high_mark}: {run.events} events to "
                      f"{run.subscribers} subscribers; delivered {run.delivered}; "
                      f"failed {run.failed}")
        if loop <= 0:
            return
        time.sleep(loop)


@app.command("inbox")
def inbox(peer: Annotated[str | None, typer.Option()] = None,
          action: Annotated[str | None, typer.Option()] = None,
          limit: Annotated[int, typer.Option()] = 20) -> None:
    """Results and notifications other registries sent here (each read is logged)."""
    import getpass

    _print(_service().inbox(peer, action, limit=limit, reader=f"cli:{getpass.getuser()}",
                            reason="spmis dci inbox"))


@app.command("transactions")
def transactions(limit: Annotated[int, typer.Option()] = 20) -> None:
    """DCI messages received and sent, newest first."""
    _print(_service().transactions(limit))
