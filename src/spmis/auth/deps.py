"""FastAPI dependencies that say who is calling. Every router takes the actor from here, so the
access-control capability changes one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from spmis.auth.model import SYSTEM, Actor
from spmis.config import Environment
from spmis.context import AppContext
from spmis.errors import NotAuthenticated


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def current_actor(request: Request) -> Actor:
    """The authenticated caller. Until staff accounts land (access-control issue) only the
    development and test environments act as the system user; production refuses everyone."""
    ctx = get_ctx(request)
    if ctx.settings.env in (Environment.DEVELOPMENT, Environment.TEST):
        return SYSTEM
    raise NotAuthenticated()


Ctx = Annotated[AppContext, Depends(get_ctx)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
