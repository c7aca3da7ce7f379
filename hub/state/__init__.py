"""The hub's state as pure folds of log entries from any number of feeds: roster and roles,
patrol, alerts, content; and the notices the hub derives from them. No I/O.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.state.alerts import MAX_ALERT_BYTES as MAX_ALERT_BYTES
    from hub.state.alerts import Alert as Alert
    from hub.state.alerts import AlertBook as AlertBook
    from hub.state.assembly import Rules as Rules
    from hub.state.assembly import check_proposal as check_proposal
    from hub.state.assembly import check_vote as check_vote
    from hub.state.assembly import parse_days as parse_days
    from hub.state.assembly import parse_when as parse_when
    from hub.state.assembly import reminders as reminders
    from hub.state.assembly import result_text as result_text
    from hub.state.assembly import settle as settle
    from hub.state.assembly import vote_fields as vote_fields
    from hub.state.assembly import vote_json as vote_json
    from hub.state.corrections import RETRACT as RETRACT
    from hub.state.corrections import check_correction as check_correction
    from hub.state.mandates import Mandates as Mandates
    from hub.state.mandates import Proposal as Proposal
    from hub.state.mandates import Term as Term
    from hub.state.mandates import decide as decide
    from hub.state.model import FeedState as FeedState
    from hub.state.model import HubState as HubState
    from hub.state.names import COORDINATOR as COORDINATOR
    from hub.state.names import STEWARD as STEWARD
    from hub.state.names import check_handle as check_handle
    from hub.state.names import check_mandate_role as check_mandate_role
    from hub.state.names import check_role as check_role
    from hub.state.names import clean_compact_name as clean_compact_name
    from hub.state.notices import AlertPolicy as AlertPolicy
    from hub.state.notices import Deliveries as Deliveries
    from hub.state.notices import Delivery as Delivery
    from hub.state.notices import Notice as Notice
    from hub.state.notices import ago as ago
    from hub.state.notices import alert_notices as alert_notices
    from hub.state.notices import all_clear_notices as all_clear_notices
    from hub.state.notices import overdue_notices as overdue_notices
    from hub.state.notices import pages_due as pages_due
    from hub.state.patrol import MAX_SHIFT_MINUTES as MAX_SHIFT_MINUTES
    from hub.state.patrol import Patrol as Patrol
    from hub.state.patrol import Shift as Shift
    from hub.state.patrol import next_overdue_time as next_overdue_time
    from hub.state.patrol import overdue_steps as overdue_steps
    from hub.state.roster import DEFAULT_TERMS as DEFAULT_TERMS
    from hub.state.roster import STEWARD_TERM as STEWARD_TERM
    from hub.state.roster import Member as Member
    from hub.state.roster import Roster as Roster

__all__ = [
    "COORDINATOR",
    "DEFAULT_TERMS",
    "MAX_ALERT_BYTES",
    "MAX_SHIFT_MINUTES",
    "RETRACT",
    "STEWARD",
    "STEWARD_TERM",
    "Alert",
    "AlertBook",
    "AlertPolicy",
    "Deliveries",
    "Delivery",
    "FeedState",
    "HubState",
    "Mandates",
    "Member",
    "Notice",
    "Patrol",
    "Proposal",
    "Roster",
    "Rules",
    "Shift",
    "Term",
    "ago",
    "alert_notices",
    "all_clear_notices",
    "check_correction",
    "check_handle",
    "check_mandate_role",
    "check_proposal",
    "check_role",
    "check_vote",
    "clean_compact_name",
    "decide",
    "next_overdue_time",
    "overdue_notices",
    "overdue_steps",
    "pages_due",
    "parse_days",
    "parse_when",
    "reminders",
    "result_text",
    "settle",
    "vote_fields",
    "vote_json",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Rules": "hub.state.assembly",
        "check_proposal": "hub.state.assembly",
        "check_vote": "hub.state.assembly",
        "parse_days": "hub.state.assembly",
        "parse_when": "hub.state.assembly",
        "reminders": "hub.state.assembly",
        "result_text": "hub.state.assembly",
        "settle": "hub.state.assembly",
        "vote_fields": "hub.state.assembly",
        "vote_json": "hub.state.assembly",
        "Mandates": "hub.state.mandates",
        "Proposal": "hub.state.mandates",
        "Term": "hub.state.mandates",
        "decide": "hub.state.mandates",
        "check_mandate_role": "hub.state.names",
        "Alert": "hub.state.alerts",
        "AlertBook": "hub.state.alerts",
        "MAX_ALERT_BYTES": "hub.state.alerts",
        "RETRACT": "hub.state.corrections",
        "check_correction": "hub.state.corrections",
        "FeedState": "hub.state.model",
        "HubState": "hub.state.model",
        "COORDINATOR": "hub.state.names",
        "STEWARD": "hub.state.names",
        "check_handle": "hub.state.names",
        "check_role": "hub.state.names",
        "clean_compact_name": "hub.state.names",
        "AlertPolicy": "hub.state.notices",
        "Deliveries": "hub.state.notices",
        "Delivery": "hub.state.notices",
        "Notice": "hub.state.notices",
        "ago": "hub.state.notices",
        "alert_notices": "hub.state.notices",
        "all_clear_notices": "hub.state.notices",
        "overdue_notices": "hub.state.notices",
        "pages_due": "hub.state.notices",
        "MAX_SHIFT_MINUTES": "hub.state.patrol",
        "Patrol": "hub.state.patrol",
        "Shift": "hub.state.patrol",
        "next_overdue_time": "hub.state.patrol",
        "overdue_steps": "hub.state.patrol",
        "DEFAULT_TERMS": "hub.state.roster",
        "Member": "hub.state.roster",
        "Roster": "hub.state.roster",
        "STEWARD_TERM": "hub.state.roster",
    },
)
