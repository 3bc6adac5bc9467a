"""The tuning rules of ``benchmarks/honest_evidence.py`` (the study itself runs there)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def he():
    spec = importlib.util.spec_from_file_location(
        "honest_evidence", ROOT / "benchmarks" / "honest_evidence.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(arm, scores):
    return [{"arm": arm, "penalty_weight": p, "n_epochs": e, "score": s}
            for (p, e), s in scores.items()]


def test_choose_breaks_ties_toward_less_penalty_and_fewer_epochs(he):
    rows = _rows("supervised", {(0.01, 2): 0.7, (0.1, 2): 0.8, (0.1, 4): 0.8, (1.0, 4): 0.8})
    c = he.choose(rows)["supervised"]
    assert (c["penalty_weight"], c["n_epochs"]) == (0.1, 2)
    assert c["epochs_at_edge"] and not c["penalty_at_edge"]


def test_extension_steps_past_each_edge_within_bounds(he):
    size = he.SIZES["cpu"]  # epochs up to 8, penalty 1e-3 .. 10
    rows = _rows("supervised", {(0.01, 2): 0.7, (0.01, 4): 0.9, (0.1, 2): 0.6, (0.1, 4): 0.8})
    rows += _rows("L_ED only", {(0.01, 2): 0.7, (0.01, 4): 0.6, (0.1, 2): 0.9, (0.1, 4): 0.8})
    rows += _rows("L_DE only", {(0.01, 2): 0.7, (0.1, 8): 0.9, (1.0, 2): 0.6})
    new = he.extension(rows, size, ["supervised", "L_ED only", "L_DE only"])
    # best on the top epochs edge and the lowest penalty: twice the epochs, a tenth the penalty
    assert ("supervised", 0.01, 8) in new and ("supervised", 0.001, 4) in new
    # best at the fewest epochs (2) and the highest penalty: half the epochs, ten times it
    assert ("L_ED only", 0.1, 1) in new and ("L_ED only", 1.0, 2) in new
    # interior penalty, epochs on the bound (8): nothing left to try
    assert not [n for n in new if n[0] == "L_DE only"]
    assert len(new) == 4
    # nothing is proposed twice, and an arm at the bounds stops
    rows += _rows("supervised", {(0.01, 8): 0.95, (0.001, 4): 0.5, (0.001, 8): 0.5})
    assert [n for n in he.extension(rows, size, ["supervised"])] == []


def test_prf_criterion_verdict_is_relative_at_god_snr_and_absolute_at_snr_1():
    spec = importlib.util.spec_from_file_location(
        "prf_criterion", ROOT / "benchmarks" / "prf_criterion.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    god = {"snr": 0.02, "encoder_confined": {"eccentricity": 0.4, "polar_angle": 0.3},
           "oracle_confined": {"eccentricity": 0.5, "polar_angle": 0.4}}
    v = mod.verdict(god)  # 0.8 and 0.75 of the oracle
    assert v["relative"] == pytest.approx({"eccentricity": 0.8, "polar_angle": 0.75})
    assert not v["relative_pass"] and "absolute_pass" not in v
    high = {"snr": 1.0, "encoder_confined_far": {"eccentricity": 0.85, "polar_angle": 0.8}}
    assert mod.verdict(high) == {"absolute_pass": True}
    high["encoder_confined_far"]["polar_angle"] = 0.79
    assert mod.verdict(high) == {"absolute_pass": False}


def test_encoder_vs_oracle_names_the_cause_only_below_half_the_oracle():
    spec = importlib.util.spec_from_file_location(
        "encoder_vs_oracle", ROOT / "benchmarks" / "encoder_vs_oracle.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    row = {"encoder / feature-map oracle": 0.6, "encoder on clean responses": 0.1,
           "true feature maps": 0.4}
    assert mod.cause(row) == ""
    row["encoder / feature-map oracle"] = 0.45
    assert "architecture or training" in mod.cause(row) and "0.100" in mod.cause(row)
    row["encoder on clean responses"] = 0.5
    assert "sample efficiency" in mod.cause(row) and "0.400" in mod.cause(row)


def test_contrasts_recover_a_known_main_effect_and_count_memorisation(he):
    import numpy as np

    rng = np.random.default_rng(0)
    seeds = [0, 1, 2]
    base = {sd: rng.random(20) for sd in seeds}
    finals = []
    for arm, spec in he.ARMS.items():
        if spec["loss_weights"] != (1.0, 1.0, 1.0) or spec["de_dropout"] != 0.0:
            continue
        for sd in seeds:
            # plain sum scores 0.1 more on every image; the loss and the fMRI source do nothing
            score = base[sd] + (0.0 if spec["normalize_losses"] else 0.1)
            mem = {"memorises": spec["normalize_losses"]}
            finals.append({"arm": arm, "seed": sd, "scores": {"2-way": list(score)},
                           "memorisation": mem})
    c = he.contrasts(finals, seeds)
    assert set(c) == {"fmri", "de_loss", "normalize_losses"}
    assert np.isclose(c["normalize_losses"]["mean_difference"], 0.1)
    assert np.isclose(c["fmri"]["mean_difference"], 0.0)
    assert np.isclose(c["de_loss"]["mean_difference"], 0.0)
    # 4 cells x 3 seeds at each level; only the normalised ones memorise
    assert c["normalize_losses"]["memorisation"] == {"True": [12, 12], "False": [0, 12]}
    assert c["fmri"]["memorisation"] == {"exact": [6, 12], "subaverage": [6, 12]}
    # a missing cell leaves no contrast rather than a biased one
    assert he.contrasts(finals[1:], seeds) == {}
    assert "main effects" not in he.markdown({"study": "headline", "size": "tiny",
                                              "seeds": seeds, "device": "cpu",
                                              "seconds": 1.0, "contrasts": {}})
