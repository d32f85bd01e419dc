"""DCI use cases on the registry side: search (sync and async), subscribe, unsubscribe,
transaction status; and on the caller side, receiving callbacks (on-search, notify, ...).

Every request goes through ``open_request``: the header is checked against the spec, the
signature verified with the sender's registered key, the sender bound to the API client that
authenticated, and the message_id recorded so a replay is refused. Results are ``Reply`` objects
(HTTP status + JSON body) in the spec's shapes:

- sync endpoints answer with a signed envelope ``{signature, header, message}`` whose header is
  a ``MsgCallbackHeader`` (status ``succ``, or ``rjct`` with a ``MsgHeaderStatusReasonCode``);
- async endpoints answer with the acknowledgement ``{"message": {ack_status, timestamp,
  correlation_id[, error]}}`` and deliver the result later to the caller (``Delivery``);
- a bad signature gets HTTP 401 ``{"errors": [{code: err.signature.*, message}]}``.
"""

from __future__ import annotations

from spmis.interop.envelope import (
    CALLBACK_ACTIONS,
    CALLBACK_PATHS,
    EVENT_TYPES,
    MSG_HEADER_CODES,
    NOTIFY_RECORD_TYPE,
    REG_TYPE,
    Delivery,
    Envelopes,
    Opened,
    Reply,
    new_id,
)
from spmis.interop.inbox import Inbox
from spmis.interop.search import Searches
from spmis.interop.status import TxnStatus
from spmis.interop.subscriptions import Subscriptions

__all__ = ["CALLBACK_ACTIONS", "CALLBACK_PATHS", "EVENT_TYPES", "MSG_HEADER_CODES",
           "NOTIFY_RECORD_TYPE", "REG_TYPE", "DciService", "Delivery", "Envelopes", "Opened",
           "Reply", "new_id"]


class DciService(Searches, Subscriptions, TxnStatus, Inbox):
    """The registry's DCI endpoints and the caller's callback endpoints: one object that every
    entry point (API, CLI, notifier, client) uses."""
