"""No circle of imports between the product's modules, counting imports inside functions.

The layer contract (``lint-imports``) keeps the apps in one direction; this test keeps the modules
inside an app in one direction too: a loop between two modules means two jobs that cannot be read,
tested or changed apart (dispatch and retraction, a view and its viewset, a cache and the navigation
it caches). grimp, import-linter's graph builder, sees every import, lazy ones included.
"""

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "consent", "channels", "stories", "newsletter", "website", "devtools")


def strongly_connected(graph, modules):
    """Tarjan's algorithm over the direct imports: the groups of modules that import each other."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(module):
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in modules:
                continue
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return groups


def test_no_module_of_the_product_imports_itself_through_others():
    sys.path.insert(0, str(ROOT))
    try:
        graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))
    # A package's __init__ is imported by each of its modules: only modules take part.
    modules = {m for m in graph.modules if m.split(".")[0] in PACKAGES and not graph.find_children(m)}
    assert strongly_connected(graph, modules) == []


def test_the_check_finds_a_loop():
    """The check is not blind: a graph with a loop is reported."""
    graph = grimp.ImportGraph()
    for name in ("pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert strongly_connected(graph, {"pkg.a", "pkg.b", "pkg.c"}) == [["pkg.a", "pkg.b"]]
