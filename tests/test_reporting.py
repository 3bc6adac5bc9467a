"""generate_report() on the fitted estimators (issue 24): self-contained HTML, shown inline
in notebooks, every figure a decodable non-blank PNG, the numbers those of the package's own
functions."""
import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from neurodecode import ImageEncoder, SelfSupervisedDecoder, Unpaired
from neurodecode.analysis import noise_ceiling
from neurodecode.datasets import make_synthetic_subject
from neurodecode.reporting import Report


@pytest.fixture(scope="module")
def fitted():
    subject = make_synthetic_subject(
        n_train_classes=10, n_train_per_class=4, n_test_classes=12, n_test_repeats=4,
        n_unpaired_classes=0, n_gallery_classes=12,
        n_voxels={"V1": 30, "V2": 20, "V3": 0, "hV4": 0, "LOC": 10, "FFA": 0, "PPA": 0},
        image_size=64, snr=1.0, random_state=0)
    encoder = ImageEncoder(backbone="efficientnet_lite0", n_epochs=3, batch_size=16,
                           random_state=0).fit(subject.images_train, subject.X_train)
    decoder = SelfSupervisedDecoder(encoder=encoder, perceptual_net="efficientnet_lite0",
                                    n_epochs=2, batch_sizes=(8, 8, 8), random_state=0)
    decoder.fit(subject.X_train, subject.images_train, X_unpaired_fmri=subject.X_test,
                unpaired_images=Unpaired(subject.images_train))
    return subject, encoder, decoder


def _figures(page):
    out = []
    for alt, data in re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"',
                                page):
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L"),
                            dtype=float)
        assert pixels.std() > 1.0, f"figure {alt!r} is blank"
        out.append(alt)
    return out


def test_encoder_report(fitted, tmp_path):
    subject, encoder, _ = fitted
    report = encoder.generate_report(subject.images_test, subject.X_test,
                                     X_test_trials=subject.X_test_trials, roi=subject.roi)
    assert isinstance(report, Report)
    page = report.get_html()
    assert _figures(page)[:1] == ["phase I loss"]
    r = np.median(encoder.voxel_scores(subject.images_test, subject.X_test))
    assert f"<td>all voxels</td><td>60</td><td>{r:.3f}</td>" in page
    ceiling = noise_ceiling(subject.X_test_trials, n_images=12, random_state=0)
    assert f"<td>{np.nanmedian(ceiling):.3f}</td>" in page
    assert "<td>V1</td><td>30</td>" in page and "<td>LVC</td>" in page
    assert "<summary>Parameters</summary>" in page and "backbone" in page
    assert report._repr_html_().count("<img") == page.count("<img")  # notebooks
    path = report.save_as_html(tmp_path / "encoder.html")
    assert path.read_text().startswith("<!DOCTYPE html>") and "http" not in re.sub(
        r"data:image/png;base64,[^\"]+", "", path.read_text())  # nothing fetched
    with pytest.raises(ValueError, match="pass both images and X"):
        encoder.generate_report(subject.images_test)


def test_decoder_report(fitted):
    subject, _, decoder = fitted
    page = decoder.generate_report(subject.X_test, subject.images_test).get_html()
    assert {"training curves", "reconstructions", "identification"} <= set(_figures(page))
    assert "identification pixel 2-way" in page and "<td>0.500</td>" in page  # chance
    from neurodecode.metrics import n_way_identification

    rec = decoder.predict(subject.X_test)
    two = n_way_identification(rec, subject.images_test, n=2, pool="others",
                               distance="pixel_correlation", n_trials=1000,
                               random_state=0, n_boot=2000)[2]
    assert f"<td>{two.mean:.3f}</td>" in page


def test_reports_need_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ImageEncoder().generate_report()
    with pytest.raises(NotFittedError):
        SelfSupervisedDecoder().generate_report()


def test_decoder_report_with_a_class_gallery(fitted):
    """With a class gallery and the images' labels, the report ranks the true class."""
    from neurodecode.metrics import ColorHistogramGallery, evaluate_reconstructions

    subject, _, decoder = fitted
    gallery = ColorHistogramGallery(bins=4).fit(subject.images_test, subject.labels_test)
    page = decoder.generate_report(subject.X_test, subject.images_test, gallery=gallery,
                                   labels=subject.labels_test).get_html()
    res = evaluate_reconstructions(decoder.predict(subject.X_test), subject.images_test,
                                   gallery=gallery, labels=subject.labels_test,
                                   identification_n=(2,), distance="pixel_correlation",
                                   classification_n=(), n_trials=1000, random_state=0,
                                   n_boot=2000)
    rank = res.summary[res.summary.metric.str.contains("rank")]
    assert len(rank) and all(f"<td>{m:.3f}</td>" in page for m in rank["mean"])
