"""Authorisation as data: the policy file and the one decision made from it.

The policy (TOML, ``auth/default_policy.toml`` unless ``[policy] file`` names another) gives each
role a **scope** (which people it reaches) and **field groups** (what of them it shows), and says
what a limited-access person becomes for a user their lists keep out: ``redact`` (a restricted
node without personal data) or ``hide`` (not found). :func:`decide` is pure: a principal and what
the policy needs to know of one merged person (:class:`PersonView`) in, a :class:`Decision` out.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from auth.principal import Principal
from connectors.errors import ConfigurationError
from connectors.records import AccessLimits


class FieldGroup(StrEnum):
    """What a role may see of a person it reaches (the Offender fields of each: README)."""

    IDENTITY = "IDENTITY"
    LOCATION = "LOCATION"
    SENTENCE = "SENTENCE"
    RISK = "RISK"
    MANAGER = "MANAGER"


ALL_GROUPS = frozenset(FieldGroup)


class Scope(StrEnum):
    """Which people a role reaches."""

    CASELOAD = "caseload"  # an active booking in a prison of the user's caseload
    REGIONS = "regions"  # a supervision episode in one of the user's probation regions
    GLOBAL = "global"  # everyone (reading only: the gateway has no writes)


class LimitedAccess(StrEnum):
    """What a limited-access person is for a user their lists keep out."""

    REDACT = "redact"  # a node with only `id` and `restricted: true`
    HIDE = "hide"  # not found


class Visibility(StrEnum):
    SHOWN = "SHOWN"  # the person, with the decision's field groups
    REDACTED = "REDACTED"  # a restricted node: the person exists, no personal data
    HIDDEN = "HIDDEN"  # not found


@dataclass(frozen=True)
class RolePolicy:
    scope: Scope
    field_groups: frozenset[FieldGroup]


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, RolePolicy]
    limited_access: LimitedAccess = LimitedAccess.REDACT

    def scopes(self, principal: Principal) -> frozenset[Scope]:
        """The scopes the principal's roles have (what facts a decision will need)."""
        return frozenset(self.roles[r].scope for r in principal.roles if r in self.roles)


@dataclass(frozen=True)
class PersonView:
    """What the policy needs of one merged person: the prisons of their active bookings, the
    probation region codes of their supervision, and every record's limited-access lists."""

    prisons: frozenset[str] = frozenset()
    probation_regions: frozenset[str] = frozenset()
    limits: tuple[AccessLimits, ...] = ()


@dataclass(frozen=True)
class Decision:
    visibility: Visibility
    field_groups: frozenset[FieldGroup] = frozenset()

    def allows(self, group: FieldGroup) -> bool:
        return self.visibility is Visibility.SHOWN and group in self.field_groups


SHOW_ALL = Decision(Visibility.SHOWN, ALL_GROUPS)
HIDDEN = Decision(Visibility.HIDDEN)
REDACTED = Decision(Visibility.REDACTED)


def _reaches(scope: Scope, principal: Principal, view: PersonView) -> bool:
    if scope is Scope.GLOBAL:
        return True
    if scope is Scope.CASELOAD:
        return bool(view.prisons & principal.prisons)
    return bool(view.probation_regions & principal.probation_regions)


def kept_out(subject: str, limits: tuple[AccessLimits, ...]) -> bool:
    """Whether any record's lists keep ``subject`` out: excluded by one, or left off one's
    restriction list (each record's lists hold on their own)."""
    return any(
        subject in a.excluded or (a.restricted_to and subject not in a.restricted_to)
        for a in limits
    )


def decide(policy: Policy, principal: Principal, view: PersonView) -> Decision:
    """Hidden unless a role of the principal reaches the person; then redacted or hidden when
    their limited-access lists keep the user out; else shown with the groups of every role
    that reaches them."""
    if principal.unrestricted:
        return SHOW_ALL
    groups: set[FieldGroup] = set()
    for role in principal.roles:
        rule = policy.roles.get(role)
        if rule is not None and _reaches(rule.scope, principal, view):
            groups |= rule.field_groups
    if not groups:
        return HIDDEN
    if kept_out(principal.subject, view.limits):
        return REDACTED if policy.limited_access is LimitedAccess.REDACT else HIDDEN
    return Decision(Visibility.SHOWN, frozenset(groups))


# --- the file -------------------------------------------------------------------------------


def parse_policy(document: Mapping[str, object], where: str = "policy") -> Policy:
    """A policy from a parsed TOML document; a wrong key names itself (values are not echoed)."""
    problems: list[str] = []
    unknown = set(document) - {"limited_access", "roles"}
    problems += [f"{where}: {key} is not a known key" for key in sorted(unknown)]
    mode = document.get("limited_access", LimitedAccess.REDACT.value)
    if mode not in {m.value for m in LimitedAccess}:
        problems.append(f"{where}: limited_access must be redact or hide")
    roles_table = document.get("roles", {})
    roles: dict[str, RolePolicy] = {}
    if not isinstance(roles_table, Mapping):
        problems.append(f"{where}: roles must be a table of roles")
        roles_table = {}
    for name, rule in roles_table.items():
        role = _role(f"{where}: roles.{name}", rule, problems)
        if role is not None:
            roles[name] = role
    if problems:
        raise ConfigurationError("; ".join(problems))
    return Policy(roles, LimitedAccess(str(mode)))


def _role(key: str, rule: object, problems: list[str]) -> RolePolicy | None:
    if not isinstance(rule, Mapping):
        problems.append(f"{key} must be a table")
        return None
    count = len(problems)
    problems += [
        f"{key}.{k} is not a known key" for k in sorted(set(rule) - {"scope", "field_groups"})
    ]
    scope = rule.get("scope")
    if scope not in {s.value for s in Scope}:
        problems.append(f"{key}.scope must be one of {', '.join(s.value for s in Scope)}")
    groups = rule.get("field_groups")
    if not isinstance(groups, list) or not groups:
        problems.append(f"{key}.field_groups must be a non-empty list of field groups")
    elif not all(g in FieldGroup.__members__ for g in groups):
        problems.append(f"{key}.field_groups: unknown field group (known: {', '.join(FieldGroup)})")
    if len(problems) > count:
        return None
    return RolePolicy(Scope(str(scope)), frozenset(FieldGroup(g) for g in groups))  # type: ignore[union-attr]


def load_policy(path: str = "") -> Policy:
    """The policy in ``path``, or the shipped default when empty."""
    if not path:
        text = resources.files("auth").joinpath("default_policy.toml").read_text("utf-8")
        return parse_policy(tomllib.loads(text), "default policy")
    try:
        document = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError:
        raise ConfigurationError("policy.file cannot be read") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"policy.file is not valid TOML: {exc}") from None
    return parse_policy(document, "policy.file")
