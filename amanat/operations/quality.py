"""Data-quality rules as data (Apollo's quality checks): evaluate a rule's expression
over one check-in's values.

An expression is a small arithmetic and comparison formula (``simpleeval``: no
attribute access, no calls but ``abs``, ``min`` and ``max``) over the names in
``NAMES``.  A rule whose expression reads a name that has no value for this check-in
(``other_voters`` when nobody else reported, ``total`` on a turnout check-in) does not
apply and does not fire.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from simpleeval import SimpleEval

from amanat.core.errors import RuleError
from amanat.operations.models import QualityRule

# The names an expression may read, with what they hold (shown on the rules page).
NAMES: Mapping[str, Any] = {
    "voters": _("turnout so far in this check-in"),
    "total": _("closing total in this check-in"),
    "registered": _("the station's registered voters"),
    "previous_voters": _("the station's last published turnout (0 before the first)"),
    "other_voters": _("another reporter's turnout for the same station and window"),
    "staff": _("staff present, all posts together"),
    "inspector": _("1 if the inspector is present, else 0"),
    "cameras": _("1 if the cameras are recording, else 0"),
    "network": _("1 if the network is up, else 0"),
    "materials": _("1 if the materials are complete, else 0"),
    "minutes": _("minutes since the window opened"),
}
FUNCTIONS = {"abs": abs, "min": min, "max": max}
MAX_EXPRESSION = 1000


def names_read(expression: str) -> set[str]:
    """The names an expression reads; a RuleError if it is not a valid expression or
    reads a name that is not in ``NAMES``."""
    text = expression.strip()
    if not text or len(text) > MAX_EXPRESSION:
        raise RuleError(_("write an expression of at most %(limit)s characters"),
                        code="invalid_expression", field="expression", limit=MAX_EXPRESSION)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise RuleError(_("the expression is not valid: %(expression)s"),
                        code="invalid_expression", field="expression",
                        expression=text) from None
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unknown = sorted(read - set(NAMES) - set(FUNCTIONS) - {"True", "False", "None"})
    if unknown:
        raise RuleError(_("the expression reads unknown names: %(names)s"),
                        code="unknown_name", field="expression", names=", ".join(unknown))
    return read & set(NAMES)


def expression_check(expression: str) -> str:
    """Validate an expression for saving: it parses, reads known names only and
    evaluates on sample values.  Returns it stripped."""
    names_read(expression)
    sample = dict.fromkeys(NAMES, 1)
    try:
        _evaluate(expression, sample)
    except Exception:  # any evaluation failure means the rule cannot run
        raise RuleError(_("the expression cannot be evaluated: %(expression)s"),
                        code="invalid_expression", field="expression",
                        expression=expression) from None
    return expression.strip()


def _evaluate(expression: str, values: Mapping[str, Any],
              evaluator: SimpleEval | None = None) -> bool:
    if evaluator is None:
        evaluator = SimpleEval(names=dict(values), functions=FUNCTIONS)
    return bool(evaluator.eval(expression, previously_parsed=_parsed(expression)))


@functools.lru_cache(maxsize=256)
def _parsed(expression: str) -> Any:
    """The expression's tree as simpleeval parses it, once per text: every check-in
    runs every rule (the field API's hot path, docs/intake-load.md)."""
    return SimpleEval.parse(expression)


@functools.lru_cache(maxsize=256)
def _names_cached(expression: str) -> frozenset[str] | None:
    """``names_read`` once per text; None for an expression that cannot run."""
    try:
        return frozenset(names_read(expression))
    except RuleError:
        return None


@dataclass(frozen=True)
class Fired:
    rule: QualityRule
    values: dict[str, Any]


def evaluate(rules: Iterable[QualityRule], kind: str, values: Mapping[str, Any]
             ) -> list[Fired]:
    """The rules for ``kind`` that fire on ``values``, with the values each one read.
    A rule that fails to evaluate (a division by zero on these values) does not fire."""
    fired = []
    evaluator = None  # one for all the rules: the values are the same
    for rule in rules:
        if not rule.active or kind not in rule.kind_list:
            continue
        read = _names_cached(rule.expression)
        if read is None:
            continue
        if any(values.get(name) is None for name in read):
            continue
        try:
            if evaluator is None:
                evaluator = SimpleEval(names=dict(values), functions=FUNCTIONS)
            hit = _evaluate(rule.expression, values, evaluator)
        except Exception:  # noqa: S112 -- a rule that cannot run on these values is skipped
            continue
        if hit:
            fired.append(Fired(rule, {name: values[name] for name in sorted(read)}))
    return fired
