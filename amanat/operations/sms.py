"""Check-ins by SMS (issue 16), in SmartElect's ``CODE#COUNTY-STATION#…`` style.

    O#2310-0042#R1#M4#I1#CAM1#NET1#MAT1   opening: staff present by post, cameras,
                                          network, materials (1 yes, 0 no)
    T1#2310-0042#350                      turnout so far at the first turnout time
    T#2310-0042#350                       the same: the turnout window open now
    C#2310-0042#812                       closing: the total of ballots cast
    I#2310-0042#VB#EF                     incidents, by the incident categories' SMS codes

The grammar (docs/sms.md) is tolerant in the way of Apollo's normalisation: Persian and
Arabic-Indic digits, any of ``# * - + , ، ; : / .`` or spaces between the parts, lower
case, the Persian letters a phone's Persian keyboard gives for the Latin ones (``خ`` for
O, ``ف`` for T, ``ز`` for C, ``ه`` for I: the same keys), a zero typed for the letter O
in the code and the letters O and I/L typed for 0 and 1 in numbers, ``R 1`` for ``R1``.

Only a phone registered for a staff member assigned to that station in the election
(``staffing.Person.mobile`` and ``staffing.Assignment``) may check in for it; any other
sender gets a polite refusal and is logged (the raw message is in ``core.InboundSms``
anyway).  Outside its window, with an impossible number or in a shape that cannot be
read, nothing is stored and the Persian reply says what was understood and what was
wrong.  Kannel's message id is the check-in's client key (``sms:<id>``): the same message
delivered twice is one check-in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import Digits, RuleError
from amanat.core.identity import mobile_checked
from amanat.core.models import InboundSms
from amanat.core.notify import mask_phone
from amanat.core.sms import SmsAnswer, SmsIn, is_phone
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.incidents import selectors as incident_selectors
from amanat.incidents import sms as incident_sms
from amanat.lib.persian import normalize, to_ascii_digits, to_persian_digits
from amanat.operations import selectors, services
from amanat.operations.models import Checkin, CheckinState, Kind, Window
from amanat.staffing.models import Assignment
from amanat.stations.models import Station

log = logging.getLogger("amanat.sms")

HANDLER = "operations"
# Five UCS-2 parts of a concatenated SMS (the sendsms-user's max-messages = 5).
MAX_REPLY = 5 * 67
# The first letter of every window code (services.DEFAULT_WINDOWS), with what a phone's
# Persian keyboard gives on the same key and a zero typed for the letter O.
# The Latin letter, a zero for O, the Persian letter on the same key, and for T the
# Persian letter that sounds like it («ت», read as J on the keyboard: user review 2, F11).
CODE_LETTERS = {"O": ("O", "0", "خ"), "T": ("T", "ف", "ت"), "C": ("C", "ز"),
                "I": ("I", "ه")}
# What may stand between the parts of a message.
SEPARATORS = "#*-+,،;؛:/. "
_SPLIT = re.compile(r"[#*\-–—_+,،;؛:/.=|\\\s]+")
EXAMPLE = {
    Kind.OPENING: "O#2310-0042#R1#M4#I1#CAM1#NET1#MAT1",
    Kind.TURNOUT: "T1#2310-0042#350",
    Kind.CLOSING: "C#2310-0042#812",
    Kind.INCIDENT: "I#2310-0042#VB",
}

_KIND_BY_LETTER = {"O": Kind.OPENING, "T": Kind.TURNOUT, "C": Kind.CLOSING,
                   "I": Kind.INCIDENT}

# The standard Persian keyboard (ISIRI 9147) key by key: a message typed with the
# Persian layout on reads as its Latin letters.
_LAYOUT = {
    "ض": "Q", "ص": "W", "ث": "E", "ق": "R", "ف": "T", "غ": "Y", "ع": "U", "ه": "I",
    "خ": "O", "ح": "P", "ش": "A", "س": "S", "ی": "D", "ب": "F", "ل": "G", "ا": "H",
    "ت": "J", "ن": "K", "م": "L", "ظ": "Z", "ط": "X", "ز": "C", "ر": "V", "ذ": "B",
    "د": "N", "پ": "M",
}
_LAYOUT_TABLE = str.maketrans(_LAYOUT)
# Letters typed for digits in a number (Apollo's normalisation).
_NUMBER_TYPOS = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2",
                               "S": "5", "B": "8"})

# Opening: the part's name -> the post (staff present) or the yes/no field.
STAFF_KEYS = {"R": StationPost.REPRESENTATIVE, "M": StationPost.MEMBER,
              "I": StationPost.INSPECTOR, "P": StationPost.POLICE}
FLAG_KEYS = {
    "CAM": "cameras", "CAMS": "cameras", "CAMERA": "cameras", "CAMERAS": "cameras",
    "CA": "cameras", "CMA": "cameras", "CCTV": "cameras",
    "NET": "network", "NT": "network", "NETWORK": "network", "NETW": "network",
    "MAT": "materials", "MT": "materials", "MATERIALS": "materials", "MTA": "materials",
}
_YES, _NO = ("1", "Y", "YES", "OK"), ("0", "N", "NO")
_VALUE = r"[0-9OILYN]+|YES|NO|OK"


def prefixes() -> tuple[str, ...]:
    """What core.sms routes here: every code letter with a separator after it, and T
    with its number (T1, T2…).  An incident report's category (``OB``, ``TH``, ``ID``,
    ``CP``) is two letters and is not claimed."""
    found = []
    for letter, typed in CODE_LETTERS.items():
        for form in typed:
            found += [form + sep for sep in SEPARATORS if sep not in "-."]
            found.append(form + "-")
            if letter == "T" or form != "0":  # T1…; O2310-0042 with no separator
                found += [form + str(digit) for digit in range(10)]
            if letter == "T":  # TI#, TL#: a letter typed for the 1
                found += [form + one + sep for one in "IL" for sep in "#*-+,،;؛:/"]
    return tuple(dict.fromkeys(found))


# -- parsing ----------------------------------------------------------------------------

@dataclass
class Parsed:
    """What a message says, as far as it could be read."""

    code: str = ""
    station_text: str = ""
    values: services.Values = field(default_factory=services.Values)
    understood: list[str] = field(default_factory=list)


class Unreadable(RuleError):
    """The message cannot be read; ``parsed`` holds what was understood before."""

    def __init__(self, message: object, parsed: Parsed, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.parsed = parsed


# A minus sign right after a separator other than the dash (``#-5``) is a number's sign,
# not a separator: it stays on the number, which is then refused (a count is never
# below zero).  The dash between a county and a station code follows a digit.
_SIGN = re.compile(r"(?<=[#*+,،;؛:/=|\\])\s*[-–—−](?=\s*[0-9])")
MINUS = "−"


def ascii_number(text: str) -> bool:
    """Whether ``text`` is a whole number written in ASCII digits only (after
    ``normalize``, Persian and Arabic-Indic digits are ASCII; ``²``, full-width or
    mathematical digits are not numbers here)."""
    return text.isascii() and text.isdigit()


def tokens(text: str) -> list[str]:
    """The message's parts: normalised (digits, letter forms), upper case, the Persian
    keyboard's letters read as the Latin ones on the same keys, split at separators."""
    flat = normalize(text).upper().translate(_LAYOUT_TABLE)
    flat = _SIGN.sub(MINUS, flat)
    return [part for part in _SPLIT.split(flat) if part]


def _code(parts: list[str]) -> tuple[str, list[str]]:
    """The window code and the parts after it (``T 1`` -> T1, ``0`` -> O, ``O2310`` ->
    O and 2310)."""
    head, rest = parts[0], parts[1:]
    if head[:1] == "0":
        head = "O" + head[1:]
    if head[:1] == "J" and (len(head) == 1 or head[1:2].isdigit()):  # «ت۱»: T1
        head = "T" + head[1:]
    if head[:1] == "T" and len(head) == 2 and head[1] in "IL":
        head = "T1"
    match = (re.fullmatch(r"([OCI])([0-9]{3,})", head)
             or re.fullmatch(r"(T[0-9])([0-9]{3,})", head))
    if match:
        head, rest = match.group(1), [match.group(2), *rest]
    if head == "T" and rest and re.fullmatch(r"[0-9]", rest[0]):
        head, rest = "T" + rest[0], rest[1:]
    return head, rest


def _number(part: str, what: str, parsed: Parsed) -> int:
    fixed = part.translate(_NUMBER_TYPOS)
    if fixed.startswith(MINUS) and ascii_number(fixed[1:]):
        raise Unreadable(_("“%(part)s” is below zero: a count cannot be negative "
                           "(%(what)s)"), parsed, code="negative",
                         part=Digits("-" + part[1:]), what=what)
    if not ascii_number(fixed):
        raise Unreadable(_("“%(part)s” is not a number (%(what)s)"), parsed, code="number",
                         part=Digits(part), what=what)
    return int(fixed)


def _flag(part: str, name: str, parsed: Parsed) -> bool:
    value = part.translate(_NUMBER_TYPOS) if part not in _YES + _NO else part
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise Unreadable(_("%(name)s is 1 (yes) or 0 (no), not “%(part)s”"), parsed,
                     code="number", name=_field_label(name), part=Digits(part))


def _field_label(name: str) -> str:
    return str(getattr(Checkin._meta.get_field(name), "verbose_name", name))


def _pairs(parts: list[str], parsed: Parsed) -> list[tuple[str, str]]:
    """``R1 M4 CAM1`` or ``R 1 M 4 CAM 1`` as (name, value) pairs."""
    pairs, index = [], 0
    while index < len(parts):
        part = parts[index]
        match = re.fullmatch(r"([A-Z]+?)(" + _VALUE + ")", part)
        if match and match.group(1) in STAFF_KEYS | FLAG_KEYS:
            pairs.append((match.group(1), match.group(2)))
            index += 1
        elif (part.isalpha() and index + 1 < len(parts)
              and re.fullmatch(_VALUE, parts[index + 1])):
            pairs.append((part, parts[index + 1]))
            index += 2
        elif match and re.fullmatch(r"[A-Z]+", match.group(1)):
            pairs.append((match.group(1), match.group(2)))
            index += 1
        else:
            raise Unreadable(_("cannot read “%(part)s”; write each part as a letter code "
                               "and a number, e.g. R1 or CAM1"), parsed, code="format",
                             part=Digits(part))
    return pairs


def _opening(parts: list[str], parsed: Parsed) -> services.Values:
    staff: dict[str, int] = {}
    flags: dict[str, bool] = {}
    for name, value in _pairs(parts, parsed):
        if name in STAFF_KEYS:
            post = STAFF_KEYS[name]
            if post in staff:
                raise Unreadable(_("“%(name)s” is given twice"), parsed, code="twice",
                                 name=name)
            staff[post] = _number(value, str(StationPost(post).label), parsed)
            parsed.understood.append(f"{StationPost(post).label} {staff[post]}")
        elif name in FLAG_KEYS:
            flag_name = FLAG_KEYS[name]
            if flag_name in flags:
                raise Unreadable(_("“%(name)s” is given twice"), parsed, code="twice",
                                 name=name)
            flags[flag_name] = _flag(value, flag_name, parsed)
            answer = gettext("yes") if flags[flag_name] else gettext("no")
            parsed.understood.append(f"{_field_label(flag_name)}: {answer}")
        else:
            raise Unreadable(_("unknown part “%(name)s”: the opening has R (representative), "
                               "M (members), I (inspector), P (police), CAM (cameras), NET "
                               "(network) and MAT (materials)"), parsed, code="unknown_part",
                             name=name)
    return services.Values(staff=staff, cameras=flags.get("cameras"),
                           network=flags.get("network"), materials=flags.get("materials"))


def _one_number(parts: list[str], name: str, parsed: Parsed) -> int:
    label = _field_label(name)
    if not parts:
        raise Unreadable(_("the number is missing (%(what)s)"), parsed, code="required",
                         what=label)
    if len(parts) > 1:
        raise Unreadable(_("one number was expected (%(what)s), not %(count)s parts"),
                         parsed, code="format", what=label, count=len(parts))
    number = _number(parts[0], label, parsed)
    parsed.understood.append(f"{label} {number}")
    return number


def _incidents(parts: list[str], parsed: Parsed) -> services.Values:
    if not parts:
        raise Unreadable(_("the incident code is missing, e.g. VB (vote buying)"), parsed,
                         code="required")
    codes = []
    for part in parts:
        category = incident_selectors.category_by_sms_code(part)
        if category is None:
            raise Unreadable(_("unknown incident code “%(given)s”"), parsed,
                             code="unknown_category", given=getattr(part, "typed", part))
        if category.sms_code not in codes:
            codes.append(category.sms_code)
            parsed.understood.append(category.name_fa if translation.get_language() == "fa"
                                     else category.name_en)
    return services.Values(incidents=" ".join(codes))


def parse(text: str, window: Window | None = None) -> Parsed:
    """Read ``text``; ``window`` is the check-in's window once known (its kind decides
    how the rest is read).  Raises ``Unreadable`` with what was understood."""
    parsed = Parsed()
    parts = tokens(text)
    if not parts:
        raise Unreadable(_("the message is empty"), parsed, code="format")
    parsed.code, rest = _code(parts)
    if (len(rest) >= 2 and ascii_number(rest[0])
            and ascii_number(rest[1].translate(_NUMBER_TYPOS))):
        parsed.station_text = f"{rest[0]}-{rest[1].translate(_NUMBER_TYPOS)}"
        rest = rest[2:]
    else:
        raise Unreadable(_("the station is missing: write the county code and the station "
                           "code, e.g. 2310-0042"), parsed, code="station")
    return parsed if window is None else values_read(parsed, window, rest)


def values_read(parsed: Parsed, window: Window, rest: list[str]) -> Parsed:
    if window.kind == Kind.OPENING:
        parsed.values = _opening(rest, parsed)
    elif window.kind == Kind.TURNOUT:
        parsed.values = services.Values(voters=_one_number(rest, "voters", parsed))
    elif window.kind == Kind.CLOSING:
        parsed.values = services.Values(total=_one_number(rest, "total", parsed))
    else:
        parsed.values = _incidents(rest, parsed)
    return parsed


class Part(str):
    """A part of the message as read (upper case, Persian keyboard letters as the Latin
    ones on their keys) that remembers how it was typed: a refusal quotes what the sender
    wrote, «خرید رای», not its keyboard reading «OVDN» (user review 2, F10)."""

    typed: str

    def __new__(cls, read: str, typed: str) -> Part:
        part = super().__new__(cls, read)
        part.typed = typed
        return part


def _typed_tokens(text: str) -> list[str]:
    """``tokens`` without the keyboard reading: the parts as typed (digits and letter
    forms normalised). The reading maps one letter to one letter, so the parts line up."""
    flat = _SIGN.sub(MINUS, normalize(text))
    return [part for part in _SPLIT.split(flat) if part]


def _rest(text: str) -> list[str]:
    _code_part, rest = _code(tokens(text))
    rest = rest[2:]
    typed = _typed_tokens(text)
    if not rest or len(typed) < len(rest):
        return rest
    # The code and the station may have been read into more or fewer parts (``T 1``,
    # ``O2310``); the values are the message's last parts either way.
    return [Part(read, was) for read, was in zip(rest, typed[-len(rest):], strict=True)]


# -- the handler --------------------------------------------------------------------------

def phone(sender: str) -> str:
    """The sender as staffing keeps mobiles (09…), from +98…, 0098…, 98… or 9…, in any
    script's digits; empty (nobody's) for a sender id with letters: ``INFO09130000009`` is
    not 09130000009."""
    if not is_phone(sender):
        return ""
    digits = "".join(ch for ch in to_ascii_digits(sender) if ch in "0123456789")
    if digits.startswith("0098"):
        digits = digits[2:]
    try:
        return mobile_checked(digits)
    except RuleError:
        return digits


def _window(election: Election, code: str, at: object) -> Window:
    """The window ``code`` names; ``T`` alone is the turnout window open now."""
    if code == "T":
        open_now = [w for w in Window.objects.filter(election=election, kind=Kind.TURNOUT)
                    if w.is_open(at)]
        if open_now:
            return open_now[0]
        code = "T1"
    return services.window_for(election, code, at)  # type: ignore[arg-type]


def _summary(parsed: Parsed, window: Window | None, station: Station | None) -> str:
    bits = []
    code = ""  # as typed back: Latin, the way it is sent
    if window is not None:
        bits.append(window.get_kind_display() + (f" {window.shown_label}"
                                                 if window.kind == Kind.TURNOUT else ""))
    elif parsed.code:
        code = gettext("code %(code)s") % {"code": parsed.code}
    if station is not None:
        bits.append(gettext("station %(station)s") % {
            "station": f"{station.county.code}-{station.code}"})
    elif parsed.station_text:
        bits.append(gettext("station %(station)s") % {"station": parsed.station_text})
    bits += parsed.understood
    return "، ".join([code] * bool(code) + [to_persian_digits(bit) for bit in bits])


def station_code(station: Station) -> str:
    """A station as its staff write it in a message: county code-station code."""
    return f"{station.county.code}-{station.code}"


def _refusal(problem: RuleError, parsed: Parsed, window: Window | None,
             station: Station | None, home: str = "") -> SmsAnswer:
    """What was understood and what was wrong, in Persian; the example is written with
    ``home``, the sender's own station, when it is known."""
    with translation.override("fa"):
        understood = _summary(parsed, window, station)
        kind = window.kind if window else _KIND_BY_LETTER.get(parsed.code[:1], Kind.OPENING)
        example = EXAMPLE[Kind(kind)]
        if home:
            example = example.replace("2310-0042", home)
        reply = ""
        if understood:
            reply = gettext("Not recorded. Understood: %(understood)s. Problem: %(problem)s. "
                            "Example: %(example)s") % {
                "understood": understood, "problem": problem.message, "example": example}
        if not understood or len(reply) > MAX_REPLY:
            reply = gettext("Not recorded. Problem: %(problem)s. Example: %(example)s") % {
                "problem": problem.message, "example": example}
    # Refusals are only answered to the station's registered staff (``_handle``).
    return SmsAnswer(accepted=False, reply=reply[:MAX_REPLY], error=problem.code,
                     known_sender=True)


def _accepted(checkin: Checkin, parsed: Parsed, window: Window, station: Station,
              superseded: tuple[int, ...] = ()) -> SmsAnswer:
    with translation.override("fa"):
        summary = _summary(parsed, window, station)
        rules = (selectors.checkin_rule_names(checkin)
                 if checkin.state == CheckinState.QUARANTINED else [])
        if rules:
            # Which rule held it: a typing error is sent again, a true figure that another
            # reporter or the last figure disagrees with is not (officials' review F23).
            reply = gettext("Recorded as number %(reference)s: %(summary)s. Held for review "
                            "before it is published: %(rules)s. Send it again only if it was "
                            "a typing error.") % {
                "reference": to_persian_digits(str(checkin.pk)), "summary": summary,
                "rules": "، ".join(rules)}
            if len(reply) > MAX_REPLY:
                reply = gettext("Recorded as number %(reference)s. Held for review before it "
                                "is published: %(rules)s. Send it again only if it was a "
                                "typing error.") % {
                    "reference": to_persian_digits(str(checkin.pk)), "rules": "، ".join(rules)}
        elif checkin.state == CheckinState.QUARANTINED:
            reply = gettext("Recorded as number %(reference)s: %(summary)s. The figure looks "
                            "wrong and will be checked before it is published; send it again "
                            "if it was a typing error.") % {
                "reference": to_persian_digits(str(checkin.pk)), "summary": summary}
        else:
            reply = gettext("Recorded as number %(reference)s: %(summary)s. Thank you.") % {
                "reference": to_persian_digits(str(checkin.pk)), "summary": summary}
        if superseded:
            # The sender's own held figure, replaced by this one (user review 2, F16).
            replaces = ngettext("It replaces your held number %(numbers)s.",
                                "It replaces your held numbers %(numbers)s.",
                                len(superseded)) % {
                "numbers": to_persian_digits("، ".join(str(pk) for pk in superseded))}
            if len(reply) + 1 + len(replaces) <= MAX_REPLY:
                reply = f"{reply} {replaces}"
    return SmsAnswer(accepted=True, reply=reply, reference=str(checkin.pk))


def _unknown_sender(message: SmsIn, reason: str) -> SmsAnswer:
    log.warning("SMS check-in %s refused: %s (sender %s)", message.message_id, reason,
                mask_phone(message.sender))
    with translation.override("fa"):
        reply = gettext("This number is not registered as the staff of a polling station, so "
                        "check-ins from it cannot be accepted. If you are on a station's "
                        "staff, ask your county's election office to register this number.")
    return SmsAnswer(accepted=False, reply=reply, error=reason)


def handle(message: SmsIn) -> SmsAnswer:
    """``core.sms``'s handler for the check-in codes."""
    client_key = f"sms:{message.message_id}"
    mobile = phone(message.sender)
    with translation.override("fa"):
        return _handle(message, client_key, mobile)


def _handle(message: SmsIn, client_key: str, mobile: str) -> SmsAnswer:
    known = (Checkin.objects.filter(client_key=client_key)
             .select_related("window", "station__county").first())
    # When Amanat first had the message: a retry handled after its window closed still
    # counts from when it arrived (smsbox retries a call Amanat failed, 10 s apart).
    at = (InboundSms.objects.filter(gateway_id=message.message_id)
          .values_list("received_at", flat=True).first()) or timezone.now()
    # The simulation names its election; the gateway's messages are the current one's.
    election = (Election.objects.filter(pk=message.election_id).first()
                if message.election_id else Election.objects.current())
    posts = (Assignment.objects.filter(election=election, person__mobile=mobile)
             .select_related("person", "station__county")
             if election and mobile else Assignment.objects.none())
    assignments = list(posts)
    if not assignments:
        return _unknown_sender(message, "unknown_sender")
    home = station_code(assignments[0].station)
    parsed = Parsed()
    window: Window | None = None
    station: Station | None = None
    try:
        parsed = parse(message.text)
        station = incident_selectors.find_station(election, parsed.station_text)
        if station is None:
            first = parsed.station_text.split("-")[0].lstrip("0")
            own = [a.station for a in assignments if a.station.code.lstrip("0") == first]
            if own:  # ``T1#0042#350``: the county code left out (user review 2, F12)
                raise Unreadable(_("write the county code before the station code: "
                                   "%(station)s, not %(given)s"), parsed,
                                 code="unknown_station", station=Digits(station_code(own[0])),
                                 given=Digits(parsed.station_text.split("-")[0]))
            raise Unreadable(_("there is no station %(station)s in this election"), parsed,
                             code="unknown_station", station=Digits(parsed.station_text))
        mine = [a for a in assignments if a.station_id == station.pk]
        if not mine:
            log.warning("SMS check-in %s refused: sender %s is not staff of station %s",
                        message.message_id, mask_phone(message.sender), station.pk)
            raise RuleError(_("this number is not registered for station %(station)s; "
                              "check the station code"), code="not_your_station",
                            station=Digits(parsed.station_text))
        if known is not None:  # the same message again: the same answer, nothing new
            values_read(parsed, known.window, _rest(message.text))
            return _accepted(known, parsed, known.window, station)
        window = _window(election, parsed.code, at)  # type: ignore[arg-type]
        values_read(parsed, window, _rest(message.text))
        received = services.checkin_record(
            station=station, window=window, values=parsed.values, source="sms",
            sender=mobile, person_id=mine[0].person_id, client_key=client_key, at=at,
            simulated=message.simulated)
    except Unreadable as problem:
        return _refusal(problem, problem.parsed, window, station, home)
    except RuleError as problem:
        return _refusal(problem, parsed, window, station, home)
    return _accepted(received.checkin, parsed, window, station, received.superseded)


# -- what no code claims: a report, or the check-in formats for a station's staff ------------

def report_or_staff_help(message: SmsIn) -> SmsAnswer:
    """``core.sms``'s fallback: a message no check-in code claims is an incident report
    (``incidents.sms``).  When it cannot be read as one and the sender is registered as a
    station's staff, the reply gives the check-in formats with the sender's own station
    (officials' review F17), not the report's format."""
    answer = incident_sms.handle(message)
    if answer.accepted or answer.error not in ("format", "unknown_category"):
        return answer
    election = Election.objects.current()
    mobile = phone(message.sender)
    post = (Assignment.objects.filter(election=election, person__mobile=mobile)
            .select_related("station__county").first() if election and mobile else None)
    if post is None:
        return answer
    home = station_code(post.station)
    with translation.override("fa"):
        examples = "؛ ".join(f"{Kind(kind).label}: {example.replace('2310-0042', home)}"
                            for kind, example in EXAMPLE.items())
        reply = gettext("Not recorded: the message cannot be read. Check-ins for your "
                        "station: %(examples)s") % {"examples": examples}
    return SmsAnswer(accepted=False, reply=reply[:MAX_REPLY], error=answer.error)
