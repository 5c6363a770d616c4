"""Data-quality rules as data (Apollo's quality checks): evaluate a rule's expression
over one check-in's values.

An expression is a small arithmetic and comparison formula (``simpleeval``: no
attribute access, no calls but ``abs``, ``min`` and ``max``) over the names in
``NAMES``.  A rule whose expression reads a name that has no value for this check-in
(``other_voters`` when nobody else reported, ``total`` on a turnout check-in) does not
apply and does not fire.

Cost is bounded by what an expression may contain, not by the values it meets: numbers
(no strings, no f-strings), ``+ - * / // %``, comparisons, ``and``/``or``/``not``,
``a if b else c`` and the three functions; no power, no shifts, no subscripts, at most
``MAX_NODES`` parts and literals of at most ``MAX_LITERAL``.  With that, one evaluation
costs a few hundred small-number operations whatever the check-in says (attack review
F3).  A rule is also tried at save time on extreme values (0, 1 and the largest
possible of every name) and refused if it fails on any of them.  A rule that still
fails on a real check-in does not fire; the failure is logged and recorded in the
check-in's audit entry (``rule_errors``), and the check-in is kept.
"""

from __future__ import annotations

import ast
import functools
import logging
import operator as op
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from simpleeval import SimpleEval

from amanat.core.errors import RuleError
from amanat.lib.persian import to_ascii_digits
from amanat.operations.models import QualityRule

log = logging.getLogger("amanat.operations.quality")

# The names an expression may read, with what they hold (shown on the rules page).
NAMES: Mapping[str, Any] = {
    "voters": _("turnout so far in this check-in"),
    "total": _("closing total in this check-in"),
    "registered": _("the station's registered voters"),
    "previous_voters": _("the station's last published turnout (0 before the first)"),
    "previous_total": _("the station's last published closing total (0 before the first)"),
    "other_voters": _("another reporter's turnout for the same station and window"),
    "staff": _("staff present, all posts together"),
    "inspector": _("1 if the inspector is present, else 0"),
    "cameras": _("1 if the cameras are recording, else 0"),
    "network": _("1 if the network is up, else 0"),
    "materials": _("1 if the materials are complete, else 0"),
    "minutes": _("minutes since the window opened"),
}
# The largest value each name can have on a real check-in (the save-time trial): the
# services refuse more voters than 20,000 and more than 20 staff at each of 4 posts; a
# window lasts at most a day and a half.
LARGEST: Mapping[str, int] = {
    "voters": 20_000, "total": 20_000, "registered": 1_000_000, "previous_voters": 20_000,
    "previous_total": 20_000,
    "other_voters": 20_000, "staff": 80, "inspector": 1, "cameras": 1, "network": 1,
    "materials": 1, "minutes": 2_160,
}
# What each name is called where a person reads a flag's values (user review F15).
LABELS: Mapping[str, Any] = {
    "voters": _("voters so far"),
    "total": _("total votes"),
    "registered": _("registered voters"),
    "previous_voters": _("last published turnout"),
    "previous_total": _("last published closing total"),
    "other_voters": _("another reporter's turnout"),
    "staff": _("staff present"),
    "inspector": _("inspector present"),
    "cameras": _("cameras recording"),
    "network": _("network up"),
    "materials": _("materials complete"),
    "minutes": _("minutes since the window opened"),
}
FUNCTIONS = {"abs": abs, "min": min, "max": max}
MAX_EXPRESSION = 1000
# At most this many parts (names, numbers, operators, calls...) in an expression, and
# no number literal larger than this.
MAX_NODES = 120
MAX_LITERAL = 1_000_000
MAX_ARGUMENTS = 8

# The operators an expression may use, for simpleeval's ``operators`` (its own way of
# narrowing what it evaluates): none whose cost grows with its operands' size.
OPERATORS: Mapping[type, Any] = {
    ast.Add: op.add, ast.Sub: op.sub, ast.Mult: op.mul, ast.Div: op.truediv,
    ast.FloorDiv: op.floordiv, ast.Mod: op.mod,
    ast.Eq: op.eq, ast.NotEq: op.ne, ast.Gt: op.gt, ast.Lt: op.lt, ast.GtE: op.ge,
    ast.LtE: op.le, ast.Not: op.not_, ast.USub: op.neg, ast.UAdd: op.pos,
}
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp,
            ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Constant,
            *OPERATORS)
# simpleeval's node handlers that an expression never needs (strings and f-strings,
# subscripts, attributes, assignments): taken out of every evaluator.
_UNUSED_NODES = (ast.JoinedStr, ast.FormattedValue, ast.Subscript, ast.Attribute,
                 ast.Slice, ast.Assign, ast.AugAssign, ast.Import, ast.keyword)


def _refuse(message: Any, **params: Any) -> RuleError:
    return RuleError(message, code="invalid_expression", field="expression", **params)


def _shape_check(tree: ast.AST) -> None:
    """Refuse what could make an evaluation expensive: anything but the allowed parts,
    too many parts, a large literal, a call of another function."""
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise _refuse(_("the expression is too long: write it with at most %(limit)s "
                        "names, numbers and operators"), limit=MAX_NODES)
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise _refuse(_("the expression may use only numbers, the names listed, + - "
                            "* / // %%, comparisons, and, or, not and abs, min, max: "
                            "“%(part)s” is not allowed"), part=_part(node))
        if isinstance(node, ast.Constant) and not (
                isinstance(node.value, int | float) and abs(node.value) <= MAX_LITERAL):
            raise _refuse(_("the expression may use numbers up to %(limit)s only, not "
                            "“%(part)s”"), limit=MAX_LITERAL, part=_part(node))
        if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                and not node.keywords and 0 < len(node.args) <= MAX_ARGUMENTS):
            raise _refuse(_("the expression may call only abs, min and max, with at most "
                            "%(limit)s numbers: “%(part)s”"), limit=MAX_ARGUMENTS,
                          part=_part(node))


def _part(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # only for the message
        text = type(node).__name__
    return text if len(text) <= 40 else text[:40] + "…"


def names_read(expression: str) -> set[str]:
    """The names an expression reads; a RuleError if it is not a valid expression, reads
    a name that is not in ``NAMES`` or uses what it may not (``_shape_check``)."""
    text = expression.strip()
    if not text or len(text) > MAX_EXPRESSION:
        raise RuleError(_("write an expression of at most %(limit)s characters"),
                        code="invalid_expression", field="expression", limit=MAX_EXPRESSION)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise RuleError(_("the expression is not valid: %(expression)s"),
                        code="invalid_expression", field="expression",
                        expression=text) from None
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unknown = sorted(read - set(NAMES) - set(FUNCTIONS) - {"True", "False", "None"})
    if unknown:
        raise RuleError(_("the expression reads unknown names: %(names)s"),
                        code="unknown_name", field="expression", names=", ".join(unknown))
    _shape_check(tree)
    return read & set(NAMES)


def _trial_values() -> list[dict[str, int]]:
    """Extreme check-ins for the save-time trial: every name 0, 1 or its largest; and
    each name alone at 0 or at its largest with the others at the other end."""
    trials = [dict.fromkeys(NAMES, 1), dict.fromkeys(NAMES, 0), dict(LARGEST)]
    for name in NAMES:
        trials.append({**dict(LARGEST), name: 0})
        trials.append({**dict.fromkeys(NAMES, 0), name: LARGEST[name]})
    return trials


def expression_check(expression: str) -> str:
    """Validate an expression for saving: it parses, reads known names only, uses only
    what it may, and evaluates on extreme values.  Returns it stripped, its numbers in
    ASCII digits: typed with the Persian keyboard (``cameras == ۰``) it is the same rule
    (user review 2, F13)."""
    expression = to_ascii_digits(expression).replace("٫", ".")
    read = names_read(expression)
    for sample in _trial_values():
        try:
            _evaluate(expression, sample)
        except Exception:  # any evaluation failure means the rule cannot run
            shown = ", ".join(f"{name}={sample[name]}" for name in sorted(read))
            raise RuleError(_("the expression cannot be evaluated when %(values)s: "
                              "%(expression)s"),
                            code="invalid_expression", field="expression",
                            values=shown or "-", expression=expression) from None
    return expression.strip()


def _evaluator(values: Mapping[str, Any]) -> SimpleEval:
    evaluator = SimpleEval(operators=dict(OPERATORS), functions=FUNCTIONS,
                           names=dict(values))
    for node in _UNUSED_NODES:
        evaluator.nodes.pop(node, None)
    return evaluator


_thread = threading.local()


def _evaluator_for(values: Mapping[str, Any]) -> SimpleEval:
    """This thread's evaluator, reading ``values``: one per thread rather than one per
    check-in (building one sets up its tables of operators and node handlers, which
    cost more than the rules' evaluation on the field API's hot path).  Only its names
    change from one check-in to the next; one thread evaluates one check-in at a time."""
    evaluator = getattr(_thread, "evaluator", None)
    if evaluator is None:
        evaluator = _thread.evaluator = _evaluator(values)
    evaluator.names = dict(values)
    return evaluator


def _evaluate(expression: str, values: Mapping[str, Any],
              evaluator: SimpleEval | None = None) -> bool:
    if evaluator is None:
        evaluator = _evaluator(values)
    return bool(evaluator.eval(expression, previously_parsed=_parsed(expression)))


@functools.lru_cache(maxsize=256)
def _parsed(expression: str) -> Any:
    """The expression's tree as simpleeval parses it, once per text: every check-in
    runs every rule (the field API's hot path, docs/intake-load.md)."""
    return SimpleEval.parse(expression)


@functools.lru_cache(maxsize=256)
def _names_cached(expression: str) -> frozenset[str] | None:
    """``names_read`` once per text; None for an expression that may not run (one
    written to the database past the rules page)."""
    try:
        return frozenset(names_read(expression))
    except RuleError:
        return None


@dataclass(frozen=True)
class Fired:
    rule: QualityRule
    values: dict[str, Any]


@dataclass(frozen=True)
class RuleFailure:
    """A rule that could not run on a check-in's values (it did not fire)."""

    code: str
    error: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_audit(self) -> dict[str, Any]:
        return {"rule": self.code, "error": self.error, "values": self.values}


def evaluate(rules: Iterable[QualityRule], kind: str, values: Mapping[str, Any],
             failures: list[RuleFailure] | None = None) -> list[Fired]:
    """The rules for ``kind`` that fire on ``values``, with the values each one read.
    A rule that fails to evaluate (a division by zero on these values, an expression
    that may not run) does not fire: it is logged and added to ``failures`` (the
    caller's audit entry records them)."""
    fired = []
    evaluator = None  # one for all the rules: the values are the same
    for rule in rules:
        if not rule.active or kind not in rule.kind_list:
            continue
        read = _names_cached(rule.expression)
        if read is None:
            _failed(failures, rule, "not allowed", {})
            continue
        if any(values.get(name) is None for name in read):
            continue
        shown = {name: values[name] for name in sorted(read)}
        try:
            if evaluator is None:
                evaluator = _evaluator_for(values)
            hit = _evaluate(rule.expression, values, evaluator)
        except Exception as error:  # a rule that cannot run on these values is skipped
            _failed(failures, rule, type(error).__name__, shown)
            continue
        if hit:
            fired.append(Fired(rule, shown))
    return fired


def _failed(failures: list[RuleFailure] | None, rule: QualityRule, error: str,
            values: dict[str, Any]) -> None:
    log.warning("quality rule %s could not run (%s) on %s", rule.code, error, values)
    if failures is not None:
        failures.append(RuleFailure(rule.code, error, values))


def values_shown(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A flag's values (or a check-in's figures as received) as a person reads them:
    each name's label, in the order of ``LABELS``."""
    order = list(LABELS)
    return [(str(LABELS.get(name, name)), value)
            for name, value in sorted(values.items(),
                                      key=lambda item: (order.index(item[0])
                                                        if item[0] in order else len(order),
                                                        item[0]))]
