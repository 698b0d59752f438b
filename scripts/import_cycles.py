"""Fails when a module of ours imports itself round-about (an import cycle between modules,
function-level and TYPE_CHECKING imports included), and when packages import each other through
different modules (e.g. core.meetings → core.scheduling.x and core.scheduling.y → core.meetings):
each package of a top-level one (core.orgs, bot.routers, ...) sits in one layer, so the lower one
never names the upper one. For each such cycle it prints the module imports that make it up.

    python scripts/import_cycles.py
"""

from __future__ import annotations

import sys

import grimp

PACKAGES = ("core", "bot", "api", "voice", "sotay", "sandbox")


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of two or more nodes that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def main() -> int:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = sorted(graph.modules)
    edges = {
        m: {d for d in graph.find_modules_directly_imported_by(m) if d in graph.modules and not m.startswith(d + ".")}
        for m in modules
    }
    cycles = strongly_connected(modules, edges)
    package_edges: dict[str, set[str]] = {}
    for module, imported in edges.items():
        for other in imported:
            a, b = ".".join(module.split(".")[:2]), ".".join(other.split(".")[:2])
            if a != b and a.split(".")[0] == b.split(".")[0]:
                package_edges.setdefault(a, set()).add(b)
    packages = sorted({".".join(m.split(".")[:2]) for m in modules})
    package_cycles = strongly_connected(packages, package_edges)
    for group in package_cycles:
        print("package cycle (packages import each other through different modules): " + " ↔ ".join(group))
        members = set(group)
        for module, imported in sorted(edges.items()):
            for other in sorted(imported):
                a, b = ".".join(module.split(".")[:2]), ".".join(other.split(".")[:2])
                if a != b and a in members and b in members:
                    print(f"    {module} → {other}")
    for group in cycles:
        print("import cycle between modules: " + " ↔ ".join(group))
    print(f"import cycles between modules: {len(cycles)}; between packages: {len(package_cycles)}")
    return 1 if cycles or package_cycles else 0


if __name__ == "__main__":
    sys.exit(main())
