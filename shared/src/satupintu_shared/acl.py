"""Who may do what on the broker: the ACL table of docs/security.md, as data.

Principals are SCRAM users. The services, the demo and the benchmark have one each; every agency in the
catalog has its own (``agency-<code>``, with the environment's prefix). ``satupintu-admin`` (the catalog
and admin tool), ``satupintu-broker`` and ``satupintu-controller`` are super users in the broker's
configuration and need no ACL. Everything not granted here is refused
(``allow.everyone.if.no.acl.found=false``).

Each environment (topic prefix) has its own grants, so environments sharing a cluster, like the tests,
cannot touch each other's topics; the users themselves are shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .topics import Topics

ResourceType = Literal["topic", "group", "cluster"]
PatternType = Literal["literal", "prefixed"]
Operation = Literal["READ", "WRITE", "DESCRIBE", "CREATE", "DELETE", "ALTER", "DESCRIBE_CONFIGS"]

INTAKE = "satupintu-intake"
ROUTING = "satupintu-routing"
PERFORMANCE = "satupintu-performance"
DEMO = "satupintu-demo"
BENCH = "satupintu-bench"
ADMIN = "satupintu-admin"
#: Super users (broker configuration ``super.users``): no ACL applies to them.
SUPER_USERS = ("satupintu-controller", "satupintu-broker", ADMIN)
#: The platform's own principals, whose passwords ``make up`` generates.
SERVICE_PRINCIPALS = (INTAKE, ROUTING, PERFORMANCE, DEMO, BENCH)
#: Topic and group names of the benchmark start with this (inside the environment's prefix).
BENCH_PREFIX = "bench-"
BENCH_TOPIC_OPERATIONS: tuple[Operation, ...] = ("READ", "WRITE", "CREATE", "DELETE")


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW grant: ``principal`` may do ``operation`` on the resource (from any host)."""

    principal: str
    resource_type: ResourceType
    pattern_type: PatternType
    resource_name: str
    operation: Operation

    @property
    def user(self) -> str:
        """The principal as Kafka writes it (``User:<name>``)."""
        return f"User:{self.principal}"


def agency_principal(topics: Topics, agency_code: str) -> str:
    """The SCRAM user of ``agency_code``'s system in this environment."""
    return f"{topics.prefix}agency-{agency_code}"


def agency_group(topics: Topics, agency_code: str) -> str:
    """The consumer group an agency's system reads its inbox with (the SDK's default)."""
    return f"{topics.prefix}satupintu-agency-{agency_code}"


def _topic(principal: str, name: str, *operations: Operation) -> list[Acl]:
    return [Acl(principal, "topic", "literal", name, op) for op in operations]


def _groups(principal: str, prefix: str) -> Acl:
    return Acl(principal, "group", "prefixed", prefix, "READ")


def platform_acls(topics: Topics) -> set[Acl]:
    """The services', the demo's and the benchmark's grants on the platform topics of one environment."""
    t, p = topics, topics.prefix
    return {
        # intake: publishes submitted requests, keeps the citizen's status view from the lifecycle,
        # reads the shared submissions topic, dead-letters what it cannot accept.
        *_topic(INTAKE, t.lifecycle, "READ", "WRITE"),
        *_topic(INTAKE, t.submissions, "READ"),
        *_topic(INTAKE, t.catalog, "READ"),
        *_topic(INTAKE, t.deadletter, "WRITE"),
        _groups(INTAKE, f"{p}satupintu-intake"),
        # routing: decides from the lifecycle and writes its decisions back to it.
        *_topic(ROUTING, t.lifecycle, "READ", "WRITE"),
        *_topic(ROUTING, t.catalog, "READ"),
        *_topic(ROUTING, t.deadletter, "WRITE"),
        _groups(ROUTING, f"{p}satupintu-routing"),
        # performance: reads the history and the dead letters; writes only the records it cannot store
        # to the dead letters (never to the lifecycle).
        *_topic(PERFORMANCE, t.lifecycle, "READ"),
        *_topic(PERFORMANCE, t.deadletter, "READ", "WRITE"),
        *_topic(PERFORMANCE, t.catalog, "READ"),
        _groups(PERFORMANCE, f"{p}satupintu-performance"),
        # the demo follows the catalog to know its agencies (each agency acts on its own credentials).
        *_topic(DEMO, t.catalog, "READ"),
        # the benchmark's load generators own the bench topics and groups, nothing else.
        *(
            Acl(BENCH, "topic", "prefixed", f"{p}{BENCH_PREFIX}", op)
            for op in ("READ", "WRITE", "CREATE", "DELETE")
        ),
        _groups(BENCH, f"{p}{BENCH_PREFIX}"),
    }


def agency_acls(topics: Topics, agency_code: str) -> set[Acl]:
    """Everything granted on one agency's topics: the agency's own principal, and the services that
    deliver to its inbox and read what it writes."""
    inbox, status, submissions = topics.agency_topics(agency_code)
    agency, group = agency_principal(topics, agency_code), agency_group(topics, agency_code)
    return {
        *_topic(agency, inbox, "READ"),
        *_topic(agency, status, "WRITE"),
        *_topic(agency, submissions, "WRITE"),
        # the shared submissions topic of the public contract: intake refuses a payload there that
        # names a submitting agency, so writing it never speaks for anyone
        *_topic(agency, topics.submissions, "WRITE"),
        Acl(agency, "group", "literal", group, "READ"),
        # further groups of its own (e.g. a second application), never another agency's
        Acl(agency, "group", "prefixed", f"{group}.", "READ"),
        *_topic(INTAKE, inbox, "WRITE"),  # receipts of its submissions
        *_topic(INTAKE, status, "WRITE"),  # its reports over HTTP, authenticated by its API key
        *_topic(INTAKE, submissions, "READ"),
        *_topic(ROUTING, inbox, "WRITE"),
        *_topic(ROUTING, status, "READ"),
    }


def environment_acls(topics: Topics, agency_codes: Iterable[str]) -> set[Acl]:
    """The whole table of one environment with these agencies in its catalog."""
    acls = platform_acls(topics)
    for code in agency_codes:
        acls |= agency_acls(topics, code)
    return acls


def managed_by(topics: Topics, acl: Acl) -> bool:
    """Whether ``acl`` belongs to this environment's table (so reconciling may remove it): a grant to
    one of the platform's or this environment's agency principals on one of this environment's names.
    Another environment's names start with its own prefix, so they never match."""
    p = topics.prefix
    principal_ok = acl.principal in SERVICE_PRINCIPALS or acl.principal.startswith(f"{p}agency-")
    name_ok = acl.resource_name.startswith((f"{p}satupintu.", f"{p}satupintu-"))
    return principal_ok and (name_ok or acl.resource_name == f"{p}{BENCH_PREFIX}")


def replay_refusal(topics: Topics, topic: str) -> str | None:
    """Why an operator may not republish a dead letter to ``topic`` (None when it may).

    Operators may put back what an agency or a channel sent — agency status and submission topics and
    the shared submissions topic — but never speak for the services or the integrators: the lifecycle
    is written only by the services, the catalog only by `catalog apply`, inboxes only by routing and
    intake."""
    if topic in (topics.submissions,) or topics.agency_of_status_topic(topic):
        return None
    if topics.agency_of_submissions_topic(topic):
        return None
    if topic == topics.lifecycle:
        return "only the services write the lifecycle topic (the canonical history)"
    if topic == topics.catalog:
        return "only `satupintu catalog apply` writes the catalog topic"
    if topic == topics.deadletter:
        return "a dead letter is not replayed into the dead-letter topic"
    return f"{topic} is not a topic operators may write (agency status and submission topics are)"


def markdown_table(topics: Topics | None = None, *, agency_code: str = "<code>") -> str:
    """The table of docs/security.md: one row per principal and resource, the operations granted."""
    t = topics or Topics()
    rows: dict[tuple[str, str, str, str], list[str]] = {}
    for acl in sorted(environment_acls(t, [agency_code])):
        key = (acl.principal, acl.resource_type, acl.pattern_type, acl.resource_name)
        rows.setdefault(key, []).append(acl.operation)
    lines = ["| principal | resource | pattern | name | operations |", "|---|---|---|---|---|"]
    lines += [
        f"| `{principal}` | {kind} | {pattern} | `{name}` | {', '.join(sorted(ops))} |"
        for (principal, kind, pattern, name), ops in rows.items()
    ]
    return "\n".join(lines) + "\n"


TABLE_START, TABLE_END = "<!-- acl-table:start -->\n", "<!-- acl-table:end -->"


def with_table(document: str) -> str:
    """``document`` with the text between its acl-table markers replaced by ``markdown_table()``."""
    head, _, rest = document.partition(TABLE_START)
    _, _, tail = rest.partition(TABLE_END)
    return f"{head}{TABLE_START}{markdown_table()}{TABLE_END}{tail}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    # `python -m satupintu_shared.acl [docs/security.md]`: print the table, or rewrite it in the page.
    if len(sys.argv) > 1:
        page = Path(sys.argv[1])
        page.write_text(with_table(page.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(markdown_table(), end="")
