"""The API reference is complete and its docstrings are valid numpydoc (as scikit-learn's
``test_docstrings.py``): every public name is in ``docs/api.rst``, every public function,
class and method passes numpydoc's validation (but the checks listed below), shared
parameters read the same everywhere (``fill_doc``), and no docstring cites a file that does
not ship with the package.
"""
import importlib
import inspect
import re
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = ["neurodecode", "neurodecode.metrics", "neurodecode.datasets",
                  "neurodecode.plotting", "neurodecode.models", "neurodecode.training",
                  "neurodecode.backend", "neurodecode.demo", "neurodecode.analysis",
                  "neurodecode.reporting"]

#: numpydoc checks not enforced, and why.
IGNORED = {
    "GL01": "summary may start on the first line of the docstring",
    "GL02": "closing quotes may follow the last line",
    "ES01": "an extended summary is optional",
    "SA01": "See Also is optional",
    "SA04": "See Also entries may go without a description",
    "RT02": "return values are named, 'name : type', as scikit-learn does",
}
#: Methods need no Examples section (the class's shows them in use).
IGNORED_FOR_METHODS = {"EX01": "the class's Examples section shows its methods in use"}


def _public_objects():
    seen = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            path = f"{module_name}.{name}"
            yield path, False
            if inspect.isclass(obj):
                for klass in obj.__mro__:
                    if not klass.__module__.startswith("neurodecode"):
                        continue
                    for attr, member in vars(klass).items():
                        public = not attr.startswith("_") or attr == "__call__"
                        if public and (inspect.isfunction(member)
                                       or isinstance(member, (classmethod, staticmethod))):
                            if klass is obj or attr not in vars(obj):
                                yield f"{path}.{attr}", True


PUBLIC = sorted(set(_public_objects()))


@pytest.mark.parametrize("path, is_method", PUBLIC, ids=[p for p, _ in PUBLIC])
def test_numpydoc_validation(path, is_method):
    ignored = set(IGNORED) | (set(IGNORED_FOR_METHODS) if is_method else set())
    errors = [f"{code}: {message}" for code, message in
              numpydoc_validate.validate(path)["errors"] if code not in ignored]
    assert not errors, f"{path}:\n" + "\n".join(errors)


def test_every_public_name_is_in_the_api_reference():
    documented = set()
    pages = sorted((ROOT / "docs" / "api").glob("*.rst"))  # one page per subpackage
    assert pages and all(f"api/{p.stem}" in (ROOT / "docs" / "api.rst").read_text()
                         for p in pages)
    for page in pages:
        module = "neurodecode"
        for line in page.read_text().splitlines():
            line = line.strip()
            if line.startswith(".. currentmodule::"):
                module = line.split("::")[1].strip()
            elif line.startswith((".. autodata::", ".. py:data::")):
                name = line.split("::")[1].strip()
                documented.add(name if name.startswith("neurodecode.") else f"{module}.{name}")
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", line):
                documented.add(f"{module}.{line}")
    missing = [f"{m}.{name}" for m in PUBLIC_MODULES
               for name in importlib.import_module(m).__all__
               if f"{m}.{name}" not in documented]
    assert not missing, f"public names missing from docs/api/*.rst: {missing}"


def test_no_docstring_cites_a_file_that_does_not_ship():
    cited = {}
    for path in (ROOT / "neurodecode").rglob("*.py"):
        for match in re.finditer(r"\b[A-Z][A-Z_]+\.md\b", path.read_text()):
            cited.setdefault(str(path.relative_to(ROOT)), []).append(match.group())
    assert not cited, f"docstrings cite files that are not part of the package: {cited}"


#: Parameters shared between public objects, and the docdict entries (``fill_doc``) that
#: may describe them: wherever one of these names is documented, it reads as that entry.
SHARED = {
    "weights": ("weights", "weights_eval", "weights_image_loss"),
    "device": ("device", "device_eval", "device_torch", "device_resolve", "device_model"),
    "random_state": ("random_state", "random_state_eval", "random_state_data",
                     "random_state_seed", "random_state_draws"),
    "verbose": ("verbose", "verbose_demo", "verbose_bar", "verbose_joblib"),
    "mask": ("mask", "mask_voxels"),
    "alpha": ("alpha",),
    "max_shift": ("max_shift", "max_shift_augment"),
    "checkpoint_dir": ("checkpoint",),
    "checkpoint_every": ("checkpoint",),
    "resume": ("checkpoint", "checkpoint_loop"),
    "n_trials": ("n_trials",),
    "n_boot": ("n_boot",),
    "figure": ("figure",),
    "learning_rate": ("phase1_schedule", "phase2_schedule"),
    "lr_milestones": ("phase1_schedule",),
    "lr_gamma": ("phase1_schedule", "phase2_schedule"),
    "lr_step": ("phase2_schedule",),
    "batch_sizes": ("phase2_schedule",),
    "decoder_l1": ("decoder_penalty",),
    "decoder_group_lasso": ("decoder_penalty",),
    "penalty_weight": ("decoder_penalty", "encoder_penalty_weight"),
    "normalize_losses": ("decoder_penalty",),
    "spatial_l1": ("encoder_penalty",),
    "branch_l1": ("encoder_penalty",),
    "class_id": ("class_seed",),
}


def _param_block(entry, name):
    """The lines documenting ``name`` in a docdict entry (it may document several)."""
    lines, keep = [], False
    for line in entry.splitlines():
        if line and not line.startswith(" "):
            keep = line.split(" : ")[0].strip() == name
        if keep:
            lines.append(line.strip())
    return lines


def test_shared_parameters_read_the_same_everywhere():
    from numpydoc.docscrape import FunctionDoc

    from neurodecode._docs import docdict

    bad = []
    for path, _ in PUBLIC:
        obj = numpydoc_validate.Validator._load_obj(path)
        try:
            doc = FunctionDoc(obj) if not inspect.isclass(obj) else None
        except (ValueError, TypeError):
            continue
        if doc is None:
            from numpydoc.docscrape import ClassDoc

            doc = ClassDoc(obj, config={"show_class_members": False})
        for param in doc["Parameters"]:
            for name in (n.strip() for n in param.name.split(",")):
                if name not in SHARED:
                    continue
                text = [f"{param.name} : {param.type}".strip(" :")] + \
                    [d.strip() for d in param.desc]
                allowed = [_param_block(docdict[k], name) for k in SHARED[name]]
                if not any(_same(text, a) for a in allowed):
                    bad.append(f"{path}: {name}")
    assert not bad, ("shared parameters not documented with their fill_doc entry "
                     f"(neurodecode._docs.docdict): {bad}")


def _same(text, allowed):
    """Whether the documented text reads as the entry; a template field (``$name``) of a
    templated entry stands for any value."""
    def norm(lines):
        return " ".join(" ".join(lines).split())

    if not allowed:
        return False
    parts = re.split(r"\$\w+", norm(allowed))
    pattern = "(.*?)".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, norm(text)) is not None


def test_docdict_templates_fill_their_defaults_and_overrides():
    from neurodecode._docs import defaults, docdict, render

    for name in defaults:
        assert "$" not in render(name), name
    assert "default=1000" in render("n_trials")
    assert "default=None" in render("n_trials", "default=None")
    with pytest.raises(ValueError, match="has no field 'nope'"):
        render("n_trials", "nope=1")
    with pytest.raises(ValueError, match="is not a template"):
        render("n_boot", "default=3")
    assert set(defaults) <= set(docdict)


def test_fill_doc_refuses_unknown_entries_and_stray_placeholders():
    from neurodecode._docs import fill_doc

    def f():
        """Summary.

        %(wieghts)s
        """

    with pytest.raises(KeyError, match="wieghts"):
        fill_doc(f)

    def g():
        """Summary, %(n_boot)s inline."""

    with pytest.raises(ValueError, match="not alone on its line"):
        fill_doc(g)

    def h():
        """Summary.

        %(n_trials: default)s
        """

    with pytest.raises(ValueError, match="gives no value"):
        fill_doc(h)
