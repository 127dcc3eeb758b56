"""What the routes need, from ``app.state``, as FastAPI dependencies: the settings, the
decider, the log, the records database and the gateway. The app factory (``web/app.py``)
builds them once; a route never reads the environment or a global.

    @router.get("/thing")
    def thing(decider: DeciderDep, log: LogDep) -> ...: ...

>>> LogDep.__metadata__[0].dependency is get_log
True
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.release import Gateway
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings

__all__ = ["DeciderDep", "GatewayDep", "LogDep", "RecordsDep", "SettingsDep",
           "get_decider", "get_gateway", "get_log", "get_records", "get_settings"]


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_log(request: Request) -> DecisionLog:
    """The app's decision log."""
    log: DecisionLog = request.app.state.log
    return log


def get_records(request: Request) -> Engine:
    """The city's records database (read-only use)."""
    records: Engine = request.app.state.records
    return records


def get_decider(request: Request) -> Decider:
    """The app's decider."""
    decider: Decider = request.app.state.decider
    return decider


def get_gateway(request: Request) -> Gateway:
    """The app's gateway (its decider, log, records database, profile and adopted packs)."""
    gateway: Gateway = request.app.state.gateway
    return gateway


SettingsDep = Annotated[Settings, Depends(get_settings)]
LogDep = Annotated[DecisionLog, Depends(get_log)]
RecordsDep = Annotated[Engine, Depends(get_records)]
DeciderDep = Annotated[Decider, Depends(get_decider)]
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
