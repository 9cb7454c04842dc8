"""The dependency direction between the packages of app/, checked on the source.

Every import counts, also one inside a function (a cycle hidden there is still a cycle); only
imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# What each package may import (besides itself and the top-level modules of app/).
ALLOWED = {
    "accounts": set(),
    # The audit trail sits just above accounts: every package may record what it does.
    "audit": {"accounts"},
    "departments": {"accounts"},
    "vocabularies": {"accounts", "departments"},
    "venues": {"accounts", "vocabularies"},
    "mail": {"accounts"},
    # Notifications sit just above mail: every feature may notify in the transaction of a cause.
    "notifications": {"accounts", "mail"},
    "events": {"accounts", "departments", "venues", "vocabularies"},
    "contacts": {"accounts"},
    "invitations": {"accounts", "departments", "events", "contacts", "mail"},
    "rsvp": {"accounts", "events", "invitations", "mail"},
    # Co-hosting requests: joining an event, cancelling the duplicate, carrying its guests over.
    "cohosting": {"accounts", "departments", "events", "contacts", "invitations", "mail"},
}
for package in ALLOWED:
    if package not in ("accounts", "audit"):
        ALLOWED[package] = ALLOWED[package] | {"audit"}
    if package not in ("accounts", "audit", "mail", "notifications"):
        ALLOWED[package] = ALLOWED[package] | {"notifications"}
LOW = set(ALLOWED)
ALLOWED["conflicts"] = LOW - {"conflicts"}
ALLOWED["inbound"] = LOW
ALLOWED["feeds"] = LOW | {"conflicts", "inbound"}
# Data protection reaches into every low package's tables (retention, erasure, export).
ALLOWED["privacy"] = LOW | {"inbound"}
ALLOWED["api"] = LOW | {"conflicts", "feeds", "inbound", "privacy", "subscriptions"}
# The public portal reads the calendar and links the feeds; nothing imports it.
ALLOWED["portal"] = LOW | {"feeds"}
# Subscriptions plug into the events' saved hook and notify; the weekly brief reads everything.
ALLOWED["subscriptions"] = LOW
ALLOWED["brief"] = LOW | {"conflicts", "subscriptions"}


def _packages() -> set[str]:
    """Return the names of the packages in app/."""
    return {p.parent.name for p in APP.glob("*/__init__.py")}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """Return the ids of nodes inside `if TYPE_CHECKING:` blocks."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def _edges() -> dict[tuple[str, str], list[str]]:
    """Return {(package, imported package): [file:line, ...]} for every cross-package import."""
    packages, edges = _packages(), {}
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP)
        if len(relative.parts) < 2 or relative.parts[0] not in packages:
            continue
        source = relative.parts[0]
        tree = ast.parse(path.read_text())
        skipped = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                inside = parts[0] == "app" and len(parts) > 1 and parts[1] in packages
                if inside and parts[1] != source:
                    edges.setdefault((source, parts[1]), []).append(f"{relative}:{node.lineno}")
    return edges


def _cycles(edges) -> list[list[str]]:
    """Return the strongly connected groups of more than one package (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for vertex in sorted(graph):
        if vertex not in index:
            visit(vertex)
    return groups


def test_no_package_cycles_in_app():
    assert _cycles(_edges()) == []


def test_packages_import_only_downwards():
    wrong = {
        f"{a} -> {b}": places
        for (a, b), places in sorted(_edges().items())
        if b not in ALLOWED.get(a, set())
    }
    assert wrong == {}


def test_every_package_has_a_place_in_the_layering():
    assert _packages() - {"static", "translations"} <= set(ALLOWED)


def test_the_checker_finds_a_cycle_hidden_in_a_function():
    edges = {("a", "b"): ["a/x.py:3"], ("b", "c"): ["b/y.py:9"], ("c", "a"): ["c/z.py:40"]}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({("a", "b"): [], ("b", "c"): []}) == []
