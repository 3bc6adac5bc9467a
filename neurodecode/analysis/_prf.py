"""Population receptive fields of the voxels from a trained encoder or decoder (paper Fig 9,
"Voxel receptive field visualization and estimation")."""
import math

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .._docs import fill_doc
from .._validation import check_number
from .._utils import correlation
from ..backend import seed_from_random_state


def prf_centres(x, y):
    """A table of pRF centres with their eccentricity and polar angle.

    Parameters
    ----------
    x, y : array-like of shape (n_voxels,)
        Centres in degrees (+x right, +y up, origin at the image centre).

    Returns
    -------
    table : pandas.DataFrame
        ``x``, ``y``, ``eccentricity`` (deg) and ``polar_angle`` (deg, counter-clockwise
        from the right horizontal meridian, in [0, 360)), the columns
        :func:`receptive_field_agreement` compares.

    Examples
    --------
    >>> from neurodecode.analysis import prf_centres
    >>> prf_centres([1.0, 0.0], [0.0, -2.0]).round(6).values.tolist()
    [[1.0, 0.0, 1.0, 0.0], [0.0, -2.0, 2.0, 270.0]]
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return pd.DataFrame({"x": x, "y": y, "eccentricity": np.hypot(x, y),
                         "polar_angle": np.rad2deg(np.arctan2(y, x)) % 360})


def _gaussian_smooth(maps, sigma):
    """(n, h, w) maps smoothed with a 2D Gaussian of ``sigma`` pixels (reflect padding)."""
    if sigma <= 0:
        return maps
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=maps.dtype, device=maps.device)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    g = g / g.sum()
    x = maps.unsqueeze(1)
    pad = min(radius, maps.shape[-1] - 1, maps.shape[-2] - 1)
    if pad < radius:  # maps smaller than the kernel: zero-pad the remainder
        x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
        x = F.pad(x, (radius - pad,) * 4)
    else:
        x = F.pad(x, (radius,) * 4, mode="reflect")
    x = F.conv2d(x, g.view(1, 1, 1, -1))
    x = F.conv2d(x, g.view(1, 1, -1, 1))
    return x.squeeze(1)


def prf_from_maps(maps, stimulus_degrees, *, sigma=3.0, power=10, max_spread=0.12):
    """Centre, size and confinement of each voxel's receptive-field map.

    The paper's preprocessing: each map (e.g. the squared input gradient averaged over
    colour) is normalised to a maximum of 1, smoothed with a Gaussian of ``sigma`` pixels
    and raised to ``power``; the centre is the map's centre of mass. ``spread`` is the
    standard deviation of that map around its centre; a map is *confined* when
    ``spread <= max_spread * side`` (diffuse maps have their mass everywhere). ``size``
    estimates the receptive field's Gaussian SD: for a Gaussian map of SD ``s`` blurred by
    ``sigma``, the powered map has SD ``sqrt(s**2 + sigma**2) / sqrt(power)``, so
    ``size = sqrt(max(power * spread**2 - sigma**2, 0))``.

    Parameters
    ----------
    maps : array-like or Tensor of shape (n_voxels, h, w)
        Non-negative maps, row 0 at the top of the image.
    stimulus_degrees : float
        Visual angle spanned by the image side.
    sigma : float, default=3.0
        Gaussian smoothing, in pixels of the map.
    power : float, default=10
        Exponent applied after smoothing.
    max_spread : float, default=0.12
        Confinement threshold, as a fraction of the map side.

    Returns
    -------
    prf : pandas.DataFrame, one row per voxel
        ``x``, ``y`` (deg; +x right, +y up, origin at the image centre), ``eccentricity``
        (deg), ``polar_angle`` (deg, counter-clockwise from the right horizontal meridian,
        in [0, 360)), ``size`` (deg), ``spread`` (deg) and ``confined`` (bool). A voxel
        whose map is all zero (no gradient: the voxel does not see the image) has NaN
        position and size and is not confined.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.analysis import prf_from_maps
    >>> yy, xx = np.mgrid[0:32, 0:32]
    >>> blob = np.exp(-((xx - 24) ** 2 + (yy - 8) ** 2) / (2 * 2.0**2))[None]
    >>> prf = prf_from_maps(blob, stimulus_degrees=32.0)
    >>> prf[["x", "y", "polar_angle"]].round(1).values.tolist()
    [[8.5, 7.5, 41.4]]
    """
    check_number(stimulus_degrees, "stimulus_degrees", low=0, low_inclusive=False)
    check_number(sigma, "sigma", low=0)
    check_number(power, "power", low=0, low_inclusive=False)
    check_number(max_spread, "max_spread", low=0, low_inclusive=False)
    if not torch.is_tensor(maps):
        maps = np.asarray(maps)
        if maps.dtype.kind not in "biuf":
            raise ValueError(f"maps must hold real numbers; got dtype {maps.dtype}.")
    m = torch.as_tensor(maps, dtype=torch.float64)
    if m.ndim != 3 or (m.shape[0] and min(m.shape[1:]) < 1):
        raise ValueError(f"maps must have shape (n_voxels, h, w) with h, w >= 1; got "
                         f"{tuple(m.shape)}.")
    if not torch.isfinite(m).all() or (m < 0).any():
        raise ValueError("maps must be finite and non-negative.")
    n, h, w = m.shape
    peak = m.flatten(1).amax(1).clamp_min(1e-300).view(n, 1, 1)
    p = _gaussian_smooth(m / peak, sigma)
    p = (p / p.flatten(1).amax(1).clamp_min(1e-300).view(n, 1, 1)) ** power
    p = p / p.flatten(1).sum(1).clamp_min(1e-300).view(n, 1, 1)
    rows = torch.arange(h, dtype=p.dtype, device=p.device)
    cols = torch.arange(w, dtype=p.dtype, device=p.device)
    ci = (p.sum(2) * rows).sum(1)
    cj = (p.sum(1) * cols).sum(1)
    var = (p * ((rows.view(1, -1, 1) - ci.view(-1, 1, 1)) ** 2
                + (cols.view(1, 1, -1) - cj.view(-1, 1, 1)) ** 2)).flatten(1).sum(1) / 2
    spread = var.sqrt()
    deg = float(stimulus_degrees) / max(h, w)
    x = ((cj + 0.5) - w / 2) * deg
    y = (h / 2 - (ci + 0.5)) * deg
    size = (power * spread**2 - sigma**2).clamp_min(0).sqrt() * deg
    out = pd.DataFrame({
        "x": x.cpu().numpy(), "y": y.cpu().numpy(),
        "eccentricity": torch.hypot(x, y).cpu().numpy(),
        "polar_angle": (torch.rad2deg(torch.atan2(y, x)) % 360).cpu().numpy(),
        "size": size.cpu().numpy(), "spread": (spread * deg).cpu().numpy(),
        "confined": (spread <= max_spread * max(h, w)).cpu().numpy()})
    empty = (m.flatten(1).amax(1) <= 0).cpu().numpy()  # no gradient at all: no pRF
    if empty.any():
        out.loc[empty, ["x", "y", "eccentricity", "polar_angle", "size", "spread"]] = np.nan
        out.loc[empty, "confined"] = False
    return out


def _encoder_net(encoder):
    from ..estimators import ImageEncoder
    from ..models import EncoderNet

    if isinstance(encoder, EncoderNet):
        return encoder
    if isinstance(encoder, ImageEncoder):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(encoder)
        return encoder.module_
    raise TypeError(f"encoder must be a fitted neurodecode.ImageEncoder or an EncoderNet; got "
                    f"{type(encoder).__name__}.")


@fill_doc
def gradient_maps(encoder, *, n_images=8, batch_size=64, voxels=None, device=None,
                  random_state=0, verbose=0):
    """Each voxel's squared input gradient, averaged over colour and random input images.

    The paper's receptive-field visualisation: for random (uniform noise) images ``s``, the
    gradient of ``E(s)_v`` with respect to ``s``, squared, averaged over colour channels and
    over the images. One forward pass of the images serves every voxel; the backward passes
    are batched over voxels (``torch.autograd.grad`` with ``is_grads_batched``: one
    vectorised pass for ``batch_size // n_images`` voxels), on the encoder's device. No
    parameter gradient is computed (the model's ``.grad`` stays untouched).

    Parameters
    ----------
    encoder : ImageEncoder or EncoderNet
        Fitted.
    %(prf_sampling)s
    %(device_model)s
    %(random_state_draws)s
    %(verbose_bar)s

    Returns
    -------
    maps : Tensor of shape (n_selected, s, s)
        The maps, float64, on the CPU.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import EncoderNet, build_feature_extractor
    >>> from neurodecode.analysis import gradient_maps
    >>> taps = ["block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4"]
    >>> net = EncoderNet(build_feature_extractor("vgg19", taps), n_voxels=3, image_size=32)
    >>> gradient_maps(net, n_images=2, batch_size=4).shape
    torch.Size([3, 32, 32])
    """
    from tqdm.auto import tqdm

    net = _encoder_net(encoder)
    if device is None:
        device = next(net.parameters()).device
    device = torch.device(device)
    n_vox = net.n_voxels
    voxels = np.arange(n_vox) if voxels is None else np.asarray(voxels, dtype=int)
    if voxels.ndim != 1 or len(voxels) == 0 or voxels.min() < 0 or voxels.max() >= n_vox:
        raise ValueError(f"voxels must be indices in [0, {n_vox}); got {voxels!r}.")
    if int(n_images) < 1 or int(batch_size) < 1:
        raise ValueError("n_images and batch_size must be >= 1.")
    n_images = int(n_images)
    per_pass = max(1, int(batch_size) // n_images)
    s = net.image_size
    gen = torch.Generator().manual_seed(seed_from_random_state(random_state))
    images = torch.rand(n_images, 3, s, s, generator=gen).to(device)
    was_training = net.training
    # no parameter gradient is wanted: frozen parameters let the readout use its cached
    # effective weights and keep the model's .grad untouched
    trainable = [p for p in net.parameters() if p.requires_grad]
    net.eval()
    out = torch.empty(len(voxels), s, s, dtype=torch.float64)
    chunks = [voxels[i:i + per_pass] for i in range(0, len(voxels), per_pass)]
    batched = True
    try:
        for p in trainable:
            p.requires_grad_(False)
        with torch.enable_grad():
            x = images.clone().requires_grad_(True)
            y = net(x)  # one forward pass for every voxel: (n_images, V)
            for c, chunk in enumerate(tqdm(chunks, desc="receptive fields", unit="batch",
                                           disable=not verbose)):
                k = len(chunk)
                g = None
                if batched:
                    # one vectorised backward pass per chunk (k voxels x n images)
                    onehot = y.new_zeros(k, n_images, n_vox)
                    onehot[torch.arange(k, device=device), :,
                           torch.as_tensor(chunk, device=device)] = 1
                    try:
                        g, = torch.autograd.grad(y, x, onehot, retain_graph=True,
                                                 is_grads_batched=True)
                    except RuntimeError:  # an operation without a batching rule
                        batched = False
                if g is None:  # replicate the images once per voxel of the chunk
                    xr = images.repeat(k, 1, 1, 1).requires_grad_(True)
                    yr = net(xr)
                    rows = torch.arange(k * n_images, device=device)
                    cols = torch.as_tensor(np.repeat(chunk, n_images), device=device)
                    g, = torch.autograd.grad(yr[rows, cols].sum(), xr)
                g = g.detach().double().square().mean(-3)  # colour: (k, n, s, s) or (k*n, ..)
                first = c * per_pass
                out[first:first + k] = g.reshape(k, n_images, s, s).mean(1).cpu()
    finally:
        for p in trainable:
            p.requires_grad_(True)
        net.train(was_training)
    return out


@fill_doc
def estimate_prf(encoder, *, n_images=8, batch_size=64, voxels=None, stimulus_degrees=12.0,
                 sigma=3.0, power=10, max_spread=0.12, device=None, random_state=0,
                 verbose=0, method="auto"):
    """Population receptive fields of the voxels, from a trained encoder (paper Fig 9).

    ``method="gradient"`` (the paper's): :func:`gradient_maps` (squared input gradients
    over random images, averaged over colour and images), normalised, smoothed with a
    Gaussian (``sigma`` px), raised to ``power``; the centre of mass is the pRF centre
    (:func:`prf_from_maps`). Voxels whose map is not confined around it are flagged (the
    paper discards ~15 %). ``method="gaussian"`` reads the pRFs off an encoder trained with
    ``space_model="gaussian"``: centre and SD of each voxel's Gaussian spatial map
    (:meth:`~neurodecode.models.SpaceFeatureReadout.gaussian_prf`); confined when the SD
    is at most ``max_spread`` of the image side.

    Parameters
    ----------
    encoder : ImageEncoder or EncoderNet
        Fitted.
    %(prf_sampling)s
    stimulus_degrees : float, default=12.0
        Visual angle of the image side (GOD: 12 deg).
    sigma : float, default=3.0
        Gaussian smoothing in pixels (the paper's sigma = 3, at the encoder's input size).
    power : float, default=10
        Exponent after smoothing (the paper's 10).
    max_spread : float, default=0.12
        Confinement threshold, as a fraction of the image side.
    %(device_model)s
    %(random_state_draws)s
    %(verbose_bar)s
    method : {"auto", "gradient", "gaussian"}, default="auto"
        "auto": "gaussian" for an encoder with Gaussian spatial maps, else "gradient".
        The sampling arguments (``n_images``, ``batch_size``, ``random_state``) and
        ``sigma`` / ``power`` only apply to "gradient".

    Returns
    -------
    prf : pandas.DataFrame, one row per voxel (index: voxel)
        ``x``, ``y`` (deg; +x right, +y up, origin at fixation = image centre),
        ``eccentricity`` (deg), ``polar_angle`` (deg, counter-clockwise from the right
        horizontal meridian, in [0, 360)), ``size`` (deg, Gaussian SD), ``spread`` (deg;
        the SD itself with "gaussian") and ``confined``.

    See Also
    --------
    decoder_receptive_fields : The same from a decoder's dense-layer weights.

    Examples
    --------
    >>> from neurodecode.analysis import estimate_prf
    >>> prf = estimate_prf(encoder, stimulus_degrees=12.0)  # doctest: +SKIP
    >>> prf.loc[prf.confined, ["eccentricity", "polar_angle"]]  # doctest: +SKIP
    """
    net = _encoder_net(encoder)
    gaussian = net.readout.space_model == "gaussian"
    if method not in ("auto", "gradient", "gaussian"):
        raise ValueError(f"method must be 'auto', 'gradient' or 'gaussian'; got {method!r}.")
    if method == "gaussian" and not gaussian:
        raise ValueError("method='gaussian' needs an encoder trained with "
                         "space_model='gaussian'; use method='gradient' for this one.")
    if method == "gaussian" or (method == "auto" and gaussian):
        prf = _gaussian_prf(net, voxels, stimulus_degrees, max_spread)
    else:
        maps = gradient_maps(encoder, n_images=n_images, batch_size=batch_size,
                             voxels=voxels, device=device, random_state=random_state,
                             verbose=verbose)
        prf = prf_from_maps(maps, stimulus_degrees, sigma=sigma, power=power,
                            max_spread=max_spread)
    n_vox = net.n_voxels
    prf.index = pd.Index(np.arange(n_vox) if voxels is None else np.asarray(voxels),
                         name="voxel")
    return prf


def _gaussian_prf(net, voxels, stimulus_degrees, max_spread):
    """pRFs of a Gaussian readout's parameters (half-side units -> degrees)."""
    with torch.no_grad():
        centre, sd = net.readout.gaussian_prf()
    centre, sd = centre.double().cpu(), sd.double().cpu()
    if voxels is not None:
        idx = torch.as_tensor(np.asarray(voxels), dtype=torch.long)
        centre, sd = centre[idx], sd[idx]
    half = float(stimulus_degrees) / 2
    x, y = centre[:, 0] * half, -centre[:, 1] * half
    size = sd * half
    return pd.DataFrame({
        "x": x.numpy(), "y": y.numpy(), "eccentricity": torch.hypot(x, y).numpy(),
        "polar_angle": (torch.rad2deg(torch.atan2(y, x)) % 360).numpy(),
        "size": size.numpy(), "spread": size.numpy(),
        "confined": (size <= max_spread * float(stimulus_degrees)).numpy()})


def decoder_receptive_fields(decoder, *, stimulus_degrees=12.0, power=1.0, max_spread=0.2):
    """Receptive fields from a decoder's dense layer: where each voxel writes its features.

    Each voxel's projective field (:meth:`~neurodecode.models.DecoderNet.dense_weight_maps`,
    ``channels x s/8 x s/8``) squared and averaged over channels; its centre of mass (no
    smoothing: the grid is coarse) is the voxel's position in the image.

    Parameters
    ----------
    decoder : SelfSupervisedDecoder or DecoderNet
        Fitted.
    stimulus_degrees : float, default=12.0
        Visual angle of the image side.
    power : float, default=1.0
        Exponent of the energy map before the centre of mass.
    max_spread : float, default=0.2
        Confinement threshold, as a fraction of the grid side.

    Returns
    -------
    prf : pandas.DataFrame, one row per voxel
        The columns of :func:`estimate_prf`.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import DecoderNet
    >>> from neurodecode.analysis import decoder_receptive_fields
    >>> decoder_receptive_fields(DecoderNet(n_voxels=4, image_size=32)).shape
    (4, 7)
    """
    from ..estimators import SelfSupervisedDecoder
    from ..models import DecoderNet

    if isinstance(decoder, SelfSupervisedDecoder):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(decoder)
        decoder = decoder.decoder_module_
    if not isinstance(decoder, DecoderNet):
        raise TypeError(f"decoder must be a fitted SelfSupervisedDecoder or a DecoderNet; got "
                        f"{type(decoder).__name__}.")
    with torch.no_grad():
        energy = decoder.dense_weight_maps().double().square().mean(1).cpu()
    prf = prf_from_maps(energy, stimulus_degrees, sigma=0.0, power=power,
                        max_spread=max_spread)
    prf.index = pd.Index(np.arange(len(prf)), name="voxel")
    return prf


def circular_correlation(a, b):
    """Circular correlation of two angle arrays in degrees (Fisher & Lee 1983).

    ``rho = sum_{i<j} sin(a_i - a_j) sin(b_i - b_j) / sqrt(sum sin^2(a_i - a_j) *
    sum sin^2(b_i - b_j))``, computed in O(n) through its expansion in sines and cosines.
    Unlike the mean-direction form (Jammalamadaka), it needs no mean direction, so it stays
    meaningful when the angles cover the whole circle (polar angles of a visual field map).

    Parameters
    ----------
    a, b : array-like of shape (n,)
        Angles in degrees.

    Returns
    -------
    rho : float
        In [-1, 1]; 1 when ``b`` is ``a`` rotated by a constant, -1 when reflected.

    Examples
    --------
    >>> from neurodecode.analysis import circular_correlation
    >>> round(circular_correlation([10, 100, 200, 300], [20, 110, 210, 310]), 6)
    1.0
    """
    a = np.deg2rad(np.asarray(a, dtype=np.float64))
    b = np.deg2rad(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError("a and b must be 1D arrays of the same length >= 2.")
    sa, ca, sb, cb = np.sin(a), np.cos(a), np.sin(b), np.cos(b)
    num = (sa @ sb) * (ca @ cb) - (sa @ cb) * (ca @ sb)
    den = ((sa @ sa) * (ca @ ca) - (sa @ ca) ** 2) * ((sb @ sb) * (cb @ cb) - (sb @ cb) ** 2)
    return float(num / np.sqrt(den)) if den > 0 else float("nan")


@fill_doc
def receptive_field_agreement(a, b, mask=None):
    """Agreement of two receptive-field tables (e.g. encoder vs decoder, or vs the truth).

    Parameters
    ----------
    a, b : pandas.DataFrame
        Tables with ``x``, ``y``, ``eccentricity`` and ``polar_angle`` for the same voxels.
    %(mask_voxels)s

    Returns
    -------
    agreement : dict
        Pearson ``r`` of ``x``, ``y`` and ``eccentricity``, the circular correlation of
        ``polar_angle``, and ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from neurodecode.analysis import receptive_field_agreement
    >>> t = pd.DataFrame({"x": [1, -2, 3], "y": [0, 1, -1], "eccentricity": [1, 2.2, 3.2],
    ...                   "polar_angle": [0, 153, 342]})
    >>> receptive_field_agreement(t, t)["polar_angle"]
    1.0
    """
    mask = np.ones(len(a), bool) if mask is None else np.asarray(mask, bool)
    if len(a) != len(b) or len(mask) != len(a):
        raise ValueError(f"a, b and mask must have the same length; got {len(a)}, {len(b)}, "
                         f"{len(mask)}.")
    if mask.sum() < 3:
        raise ValueError(f"at least 3 voxels are needed; got {int(mask.sum())}.")
    out = {k: correlation(np.asarray(a[k])[mask], np.asarray(b[k])[mask])
           for k in ("x", "y", "eccentricity")}
    out["polar_angle"] = round(circular_correlation(np.asarray(a["polar_angle"])[mask],
                                                    np.asarray(b["polar_angle"])[mask]), 12)
    out["n"] = int(mask.sum())
    return out
