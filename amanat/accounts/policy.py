"""The one access-policy table: role × object type × action → allowed.

Scope (which units) is decided separately, in ``access.py``: a membership reaches its own
unit and everything below it by materialised path. This table only says which roles may
perform an action on an object type at all. Anything not listed is denied.
"""

from __future__ import annotations

from typing import Final

from amanat.accounts.models import Role

VIEW: Final = "view"
CHANGE: Final = "change"
CREATE: Final = "create"
DELETE: Final = "delete"
EXPORT: Final = "export"
ACTIONS: Final = frozenset({VIEW, CHANGE, CREATE, DELETE, EXPORT})

ALL_ROLES: Final = frozenset(Role)
ADMINS: Final = frozenset({Role.NATIONAL_ADMIN, Role.HQ_STAFF})
# Roles that manage people: the ministry and the headquarters and governors below it.
MEMBERSHIP_MANAGERS: Final = frozenset({Role.NATIONAL_ADMIN, Role.HQ_STAFF, Role.GOVERNOR})
# Roles only a national administrator may grant: they reach the whole country or
# the audit log.
NATIONAL_ONLY_ROLES: Final = frozenset({Role.NATIONAL_ADMIN, Role.AUDITOR})
# Candidates: the county offices that register candidates, and the two review boards.
CANDIDATE_STAFF: Final = ADMINS | {Role.GOVERNOR, Role.EXECUTIVE_BOARD}
BOARDS: Final = frozenset({Role.EXECUTIVE_BOARD, Role.SUPERVISION_BOARD})
# Roles that work at the stations on election day: a user holding only these keeps one
# session for the whole day (accounts.middleware.field_day_session_end).
FIELD_ROLES: Final = frozenset({Role.FIELD_INSPECTOR, Role.AGENCY_OFFICER})
# Station staffing: the governor writes, headquarters, boards and the auditor read.
STAFFING_WRITERS: Final = frozenset({Role.NATIONAL_ADMIN, Role.GOVERNOR})
STAFFING_READERS: Final = ADMINS | {Role.GOVERNOR, Role.EXECUTIVE_BOARD, Role.INSPECTION_BOARD,
                                    Role.SUPERVISION_BOARD, Role.AUDITOR}
# Training (issue 14): the headquarters and governors run courses and sessions; the
# auditor reads (national IDs masked).
TRAINING_STAFF: Final = ADMINS | {Role.GOVERNOR}
# Election day: who watches the dashboard, the stations' days, the flags and the alerts.
# The county executive board runs the voting at the stations, so it reads the whole day
# of its county; handling alerts and verifying figures stay with the governor's office,
# the security committee and the headquarters.
DAY_WATCHERS: Final = ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.EXECUTIVE_BOARD,
                                Role.INSPECTION_BOARD, Role.SUPERVISION_BOARD, Role.AUDITOR}

POLICY: Final[dict[str, dict[str, frozenset[Role]]]] = {
    "geo.adminunit": {VIEW: ALL_ROLES, EXPORT: ADMINS | {Role.GOVERNOR}},
    # Constituencies and their seats: loaded from the geography, edited nationally.
    "geo.constituency": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN}),
                         CREATE: frozenset({Role.NATIONAL_ADMIN})},
    "elections.election": {
        VIEW: ALL_ROLES,
        CHANGE: frozenset({Role.NATIONAL_ADMIN}),
        CREATE: frozenset({Role.NATIONAL_ADMIN}),
    },
    "elections.milestone": {
        VIEW: ALL_ROLES,
        CHANGE: ADMINS,
        CREATE: ADMINS,
        DELETE: frozenset({Role.NATIONAL_ADMIN}),
    },
    "audit.event": {
        VIEW: frozenset({Role.AUDITOR, Role.NATIONAL_ADMIN}),
        EXPORT: frozenset({Role.AUDITOR, Role.NATIONAL_ADMIN}),
    },
    "stations.station": {
        VIEW: ALL_ROLES,
        CHANGE: MEMBERSHIP_MANAGERS,
        CREATE: MEMBERSHIP_MANAGERS,
        EXPORT: MEMBERSHIP_MANAGERS | {Role.AUDITOR},
    },
    # incidents: agency officers see only cases routed to their agency in their unit
    # (incidents.selectors.scope_cases narrows on top of the unit scope).
    "incidents.category": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    "incidents.case": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.INSPECTION_BOARD,
                        Role.AGENCY_OFFICER, Role.AUDITOR},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
    },
    "incidents.report": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.INSPECTION_BOARD,
                        Role.AUDITOR},
        CREATE: ALL_ROLES,
    },
    # councils: meetings, agendas, decisions; agency officers see and update only the
    # action items owned by their agency in their unit (councils.selectors).
    "councils.council": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AUDITOR},
        CHANGE: ADMINS | {Role.GOVERNOR},
    },
    "councils.meeting": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AUDITOR},
        CREATE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
    },
    "councils.actionitem": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AUDITOR,
                        Role.AGENCY_OFFICER},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AGENCY_OFFICER},
    },
    # atlas: scores are readable by every role in scope; inputs by the roles that own them.
    "atlas.score": {
        VIEW: ALL_ROLES,
        EXPORT: frozenset({Role.NATIONAL_ADMIN, Role.HQ_STAFF, Role.GOVERNOR, Role.AUDITOR}),
    },
    "atlas.assessment": {
        VIEW: ALL_ROLES,
        CREATE: frozenset({Role.AGENCY_OFFICER, Role.SECURITY_COMMITTEE, Role.NATIONAL_ADMIN}),
    },
    "atlas.nationaltier": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    "atlas.requiredmeasure": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    "atlas.tierthreshold": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    # The factor catalogue's weights and parameters (versioned, atlas.catalogue).
    "atlas.factorcatalogue": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    # plans: the catalogue is read by every role; a county's threats, measures, scenarios
    # and alerts by its committee; agency officers also report the measures their agency
    # owns (plans.selectors); directives are written by the ministry, localisations by
    # each unit, approved by its governor (plans.approval).
    "plans.threat": {VIEW: ALL_ROLES, CREATE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
                     CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE}},
    "plans.measure": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AGENCY_OFFICER, Role.AUDITOR},
        CREATE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AGENCY_OFFICER},
    },
    "plans.directive": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AUDITOR},
        CREATE: frozenset({Role.NATIONAL_ADMIN}), CHANGE: frozenset({Role.NATIONAL_ADMIN}),
    },
    "plans.localisation": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AUDITOR},
        CREATE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
    },
    "plans.approval": {CHANGE: frozenset({Role.GOVERNOR})},
    "plans.scenario": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AGENCY_OFFICER, Role.AUDITOR},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
    },
    "plans.securityplan": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AGENCY_OFFICER, Role.AUDITOR},
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
        CREATE: frozenset({Role.AGENCY_OFFICER, Role.SECURITY_COMMITTEE}),  # comments
        EXPORT: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE, Role.AUDITOR},
    },
    # Election day (issue 16): field inspectors and the governor's office check stations
    # in; the headquarters, the governor and the security committee watch, verify
    # flagged figures and handle alerts; the three boards (executive, inspection,
    # supervision) and the auditor read the dashboard, the stations' days, the flags and
    # the alerts of their scope, and change nothing.
    "operations.checkin": {
        VIEW: DAY_WATCHERS | {Role.FIELD_INSPECTOR},
        CREATE: ADMINS | {Role.GOVERNOR, Role.FIELD_INSPECTOR},
        # Verifying or correcting a flagged check-in.
        CHANGE: ADMINS | {Role.GOVERNOR},
    },
    "operations.alert": {
        VIEW: DAY_WATCHERS,
        CHANGE: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE},
    },
    # The rules, the windows and the day's settings are national.
    "operations.qualityrule": {VIEW: DAY_WATCHERS, CHANGE: frozenset({Role.NATIONAL_ADMIN}),
                               CREATE: frozenset({Role.NATIONAL_ADMIN})},
    "operations.window": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    # The election-day tables checked against the audit log (opsverify): the log's
    # readers see the runs and start one.
    "operations.verify": {VIEW: frozenset({Role.AUDITOR, Role.NATIONAL_ADMIN}),
                          CREATE: frozenset({Role.AUDITOR, Role.NATIONAL_ADMIN})},
    # The mobiles of a station's staff on an alert's page: masked for every reader; the
    # roles that handle the alert (and call the station) show them in full through the
    # audited reveal (accounts.personaldata).
    "operations.staffphone": {VIEW: ADMINS | {Role.GOVERNOR, Role.SECURITY_COMMITTEE}},
    # candidates (issue 13): county offices register and confirm, the boards review;
    # inquiry answers are confidential to the boards (the national ones reach everything
    # through a country membership) and every read of them is audited.
    "candidates.candidacy": {
        VIEW: CANDIDATE_STAFF | {Role.SUPERVISION_BOARD, Role.INSPECTION_BOARD, Role.AUDITOR},
        CREATE: CANDIDATE_STAFF,
        CHANGE: CANDIDATE_STAFF,
        EXPORT: ADMINS | {Role.AUDITOR},
    },
    "candidates.document": {
        VIEW: CANDIDATE_STAFF | {Role.SUPERVISION_BOARD},
        CHANGE: CANDIDATE_STAFF,
    },
    "candidates.inquiry": {
        VIEW: BOARDS,
        CREATE: CANDIDATE_STAFF,
        CHANGE: BOARDS,
    },
    "candidates.reviewdecision": {
        VIEW: BOARDS | ADMINS | {Role.AUDITOR},
        CREATE: BOARDS,
    },
    "candidates.complaint": {
        VIEW: BOARDS | ADMINS | {Role.GOVERNOR, Role.AUDITOR},
        CREATE: CANDIDATE_STAFF,
        CHANGE: frozenset({Role.SUPERVISION_BOARD}),
    },
    "candidates.finallist": {
        VIEW: ALL_ROLES,
        CHANGE: ADMINS | {Role.EXECUTIVE_BOARD},
    },
    "candidates.eligibilityrule": {VIEW: ALL_ROLES, CHANGE: frozenset({Role.NATIONAL_ADMIN})},
    # VIEW: who may show a candidate's national ID and mobile in full (the offices that
    # register and call the candidate), each time through the audited reveal
    # (accounts.personaldata); everyone else sees them masked.
    "candidates.personaldata": {VIEW: CANDIDATE_STAFF},
    # boards (issue 14): formed and staffed by the governor's act; a county sees its own
    # boards, a province its own and its counties' (amanat/boards).
    "boards.board": {
        VIEW: ADMINS | {Role.GOVERNOR, Role.AUDITOR},
        CREATE: ADMINS | {Role.GOVERNOR},
        CHANGE: ADMINS | {Role.GOVERNOR},
    },
    # VIEW: who may show the members' national IDs in full (the governor who appoints
    # them), each time through the audited reveal; the auditor sees them masked.
    "boards.personaldata": {VIEW: ADMINS | {Role.GOVERNOR}},
    # staffing (issue 14): the people who staff the stations and their posts.  The county
    # governor keeps the register and the roster; the boards and the auditor read it.
    # National IDs and mobiles are masked on every page and answer; only the governor (who
    # appoints and calls the people) and the national administrator ("staffing.personaldata")
    # may show them in full, on a person's page through the audited reveal or in a
    # recorded export.
    "staffing.person": {
        VIEW: STAFFING_READERS, CREATE: STAFFING_WRITERS, CHANGE: STAFFING_WRITERS,
        EXPORT: STAFFING_WRITERS | {Role.HQ_STAFF, Role.AUDITOR},
    },
    "staffing.personaldata": {VIEW: STAFFING_WRITERS},
    "staffing.assignment": {VIEW: STAFFING_READERS, CHANGE: STAFFING_WRITERS,
                            EXPORT: STAFFING_WRITERS | {Role.HQ_STAFF, Role.AUDITOR}},
    # Running the solver and approving the roster: the county's governor (and the ministry).
    "staffing.roster": {VIEW: STAFFING_READERS, CHANGE: STAFFING_WRITERS},
    # training (issue 14): courses are given at the country, a province or a county and
    # read below it too (training.selectors.visible_courses), edited only in scope;
    # sessions, enrolments and completions are the county's.  "training.personaldata"
    # VIEW: who sees national IDs and mobiles unmasked.
    "training.course": {
        VIEW: TRAINING_STAFF | {Role.AUDITOR},
        CREATE: TRAINING_STAFF,
        CHANGE: TRAINING_STAFF,
    },
    "training.session": {
        VIEW: TRAINING_STAFF | {Role.AUDITOR},
        CREATE: TRAINING_STAFF,
        CHANGE: TRAINING_STAFF,
    },
    "training.enrolment": {
        VIEW: TRAINING_STAFF | {Role.AUDITOR},
        CREATE: TRAINING_STAFF,
        CHANGE: TRAINING_STAFF,
        EXPORT: TRAINING_STAFF | {Role.AUDITOR},
    },
    "training.completion": {
        VIEW: TRAINING_STAFF | {Role.AUDITOR},
        CREATE: TRAINING_STAFF,
        EXPORT: TRAINING_STAFF | {Role.AUDITOR},
    },
    "training.personaldata": {VIEW: TRAINING_STAFF},
    "accounts.agency": {VIEW: ALL_ROLES},
    # A user's second-factor devices: only a national administrator may remove them (the
    # reset of a lost phone); everyone manages their own through enrolment.
    "otp_totp.totpdevice": {DELETE: frozenset({Role.NATIONAL_ADMIN})},
    "accounts.membership": {
        VIEW: MEMBERSHIP_MANAGERS | {Role.AUDITOR},
        CHANGE: MEMBERSHIP_MANAGERS,
        CREATE: MEMBERSHIP_MANAGERS,
        DELETE: MEMBERSHIP_MANAGERS,
    },
}


def roles_allowed(model_label: str, action: str) -> frozenset[Role]:
    """Roles that may perform ``action`` on objects of ``model_label`` (app.model)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return POLICY.get(model_label.lower(), {}).get(action, frozenset())


def role_allows(role: str, model_label: str, action: str) -> bool:
    return role in roles_allowed(model_label, action)
