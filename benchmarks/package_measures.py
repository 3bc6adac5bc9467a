"""Size of the package's surface: public names per subpackage (``__all__``) and lines of
code per subpackage (docstrings, comments and blank lines left out).

    python benchmarks/package_measures.py

Used for issue 22's before/after table (benchmarks/results/issue22_measures.md); run
``duplicates --repo neurodecode --most 60`` beside it for the repeated code.
"""
import ast
import importlib
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "neurodecode"
SUBPACKAGES = ["analysis", "backend", "datasets", "demo", "estimators", "metrics", "models",
               "plotting", "training"]


def code_lines(path):
    """Lines of code of a module: not blank, not a comment, not in a docstring."""
    src = path.read_text()
    docs = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and ast.get_docstring(node) is not None:
            docs.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(src.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in docs)


def main():
    print("| part | public names | lines of code |")
    print("| --- | --- | --- |")
    total = 0
    for name in [""] + SUBPACKAGES:
        module = importlib.import_module("neurodecode" + (f".{name}" if name else ""))
        n = len(getattr(module, "__all__", []))
        total += n
        lines = (sum(code_lines(p) for p in (ROOT / name).glob("*.py")) if name else "")
        print(f"| {name or 'neurodecode'} | {n} | {lines} |")
    print(f"| total | {total} | |")


if __name__ == "__main__":
    main()
