"""Playbooks in the shape of OASIS CACAO 2.0 (docs/plans.md), so provinces can exchange them.

A playbook is a JSON object::

    {"type": "playbook", "spec_version": "cacao-2.0", "id": "playbook--<slug>",
     "name": "...", "workflow_start": "start--1",
     "workflow": {"start--1": {"type": "start", "on_completion": "action--a"},
                  "action--a": {"type": "action", "name": "...",
                                "agent": "organization--police", "on_completion": "end--1"},
                  "end--1": {"type": "end"}},
     "agent_definitions": {"organization--police": {"type": "organization",
                                                    "name": "police"}}}

Only the sequential subset is used: start, actions, end, each step naming the next with
``on_completion``.  An action's ``agent`` names an ``organization--<agency code>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError

MAX_STEPS = 60
AGENT_PREFIX = "organization--"


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    agent: str  # an agency code, "" when none


def _refuse(reason: str) -> RuleError:
    return RuleError(_("the playbook is not a valid CACAO workflow: %(reason)s"),
                     code="playbook", field="playbook", reason=reason)


def ordered_steps(playbook: Any) -> list[Step]:
    """The action steps from ``workflow_start`` to the end, in order; refuses a playbook
    that is not of the documented shape (a cycle, a missing step, no end)."""
    if not isinstance(playbook, dict) or playbook.get("type") != "playbook":
        raise _refuse("type")
    if not str(playbook.get("spec_version", "")).startswith("cacao-2"):
        raise _refuse("spec_version")
    workflow = playbook.get("workflow")
    current = playbook.get("workflow_start")
    if not isinstance(workflow, dict) or not isinstance(current, str) or current not in workflow:
        raise _refuse("workflow_start")
    steps: list[Step] = []
    seen: set[str] = set()
    while True:
        if current in seen or len(seen) > MAX_STEPS:
            raise _refuse("cycle")
        seen.add(current)
        step = workflow.get(current)
        if not isinstance(step, dict):
            raise _refuse(f"missing step {current}")
        kind = step.get("type")
        if kind == "end":
            return steps
        if kind == "action":
            name = str(step.get("name") or "").strip()
            if not name:
                raise _refuse(f"step {current} has no name")
            agent = str(step.get("agent") or "")
            steps.append(Step(id=current, name=name,
                              agent=agent.removeprefix(AGENT_PREFIX)))
        elif kind != "start":
            raise _refuse(f"step type {kind}")
        following = step.get("on_completion")
        if not isinstance(following, str):
            raise _refuse(f"step {current} has no on_completion")
        current = following


def validate(playbook: Any) -> None:
    if not ordered_steps(playbook):
        raise _refuse("no action steps")


def build(slug: str, name: str, actions: list[tuple[str, str]]) -> dict[str, Any]:
    """A sequential playbook from (agency code, step name) pairs (the demo, the forms)."""
    workflow: dict[str, Any] = {"start--1": {"type": "start", "on_completion": "action--1"}}
    for index, (agency, step_name) in enumerate(actions, start=1):
        nxt = f"action--{index + 1}" if index < len(actions) else "end--1"
        workflow[f"action--{index}"] = {"type": "action", "name": step_name,
                                        "agent": f"{AGENT_PREFIX}{agency}",
                                        "on_completion": nxt}
    workflow["end--1"] = {"type": "end"}
    return {
        "type": "playbook", "spec_version": "cacao-2.0", "id": f"playbook--{slug}",
        "name": name, "playbook_types": ["mitigation"], "workflow_start": "start--1",
        "workflow": workflow,
        "agent_definitions": {f"{AGENT_PREFIX}{agency}": {"type": "organization",
                                                          "name": agency}
                              for agency, _name in actions},
    }
