"""The import rules of docs/architecture.rst: each part of the package imports only from
the layers below it, and no part reaches into another subpackage's private modules.

The known exceptions are listed, so that a new one fails and a fixed one must be struck
from the list (the list only shrinks)."""
import ast
from pathlib import Path

import neurodecode

ROOT = Path(neurodecode.__file__).parent

#: Layer of each part (a subpackage or a top-level module); a part imports only from parts
#: of a lower layer, or of its own layer when both are top-level private modules.
LAYERS = {
    "_docs": 0, "_errors": 0, "_version": 0, "_rois": 0, "_utils": 0, "_files": 0,
    "backend": 1, "models": 1,
    "_validation": 2, "_unpaired": 2, "_weights": 2, "_io": 2, "training": 2,
    "metrics": 3, "datasets": 3,
    "estimators": 4,
    "analysis": 5,
    "plotting": 6,
    "reporting": 7,
    "demo": 8,
    "cli": 9, "__init__": 9,
}

#: Imports that break a rule (lazy, inside functions), each with its reason.
KNOWN_EXCEPTIONS = {
    # ImageEncoder.generate_report / SelfSupervisedDecoder.generate_report: the estimator
    # hands itself to the report layer (nilearn's API); the estimators use nothing else
    # of it, and the reports import the estimators' public API only.
    ("estimators", "reporting"),
}


def _imports():
    """(part, imported module path) for every relative import of the package."""
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        part = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = list(rel.parts[:-1])
            base = base[:len(base) - (node.level - 1)]
            target = base + (node.module.split(".") if node.module else [])
            if not target:  # "from .. import x": a top-level module, or the package's root
                name = node.names[0].name
                target = [name if (ROOT / f"{name}.py").is_file() else "__init__"]
            if target[0] != part:
                yield part, target


def _violations():
    found = set()
    for part, target in _imports():
        name = ".".join(target[:2])
        if LAYERS[target[0]] > LAYERS[part] or (
                LAYERS[target[0]] == LAYERS[part]
                and not (part.startswith("_") and target[0].startswith("_"))):
            found.add((part, target[0] if len(target) == 1 or not target[1].startswith("_")
                       else name))
        elif len(target) > 1 and target[1].startswith("_") and not target[0].startswith("_"):
            found.add((part, name))  # another subpackage's private module
    return found


def test_every_part_has_a_layer():
    parts = {p.name if p.is_dir() else p.stem for p in ROOT.iterdir()
             if (p.is_dir() and (p / "__init__.py").is_file()) or p.suffix == ".py"}
    assert parts == set(LAYERS)


def test_imports_follow_the_layers_and_keep_out_of_private_modules():
    found = _violations()
    new = found - KNOWN_EXCEPTIONS
    assert not new, f"imports against docs/architecture.rst: {sorted(new)}"
    fixed = KNOWN_EXCEPTIONS - found
    assert not fixed, f"fixed, strike them from KNOWN_EXCEPTIONS: {sorted(fixed)}"


def test_models_are_pure_torch():
    """models/ imports torch (and the torch model zoos: torchvision, EfficientNet-Lite), the
    standard library's helpers and the package's foundation only: no numpy, no sklearn."""
    allowed = {"torch", "torchvision", "efficientnet_lite_pytorch", "math", "dataclasses", "functools", "typing", "warnings",
               "collections", "itertools", "numbers", "copy", "contextlib", "re", "os"}
    for path in (ROOT / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module.split(".")[0]]
            else:
                continue
            assert set(names) <= allowed, (path.name, names)
