"""Download GOD (OpenNeuro ds001246) from OpenNeuro's public S3 bucket.

The files are listed with S3's ListObjectsV2 API (paginated), each is streamed over HTTPS to
``<file>.part`` and renamed into place when its size (and, for single-part uploads, its MD5,
S3's ETag) matches the listing: an interrupted download resumes from its ``.part`` file
(HTTP Range), and a damaged file is fetched again.
"""
import contextlib
import hashlib
import http.client
import json
import numbers
import os
import re
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from sklearn.utils import Bunch

from .._docs import fill_doc

#: OpenNeuro's public bucket (anonymous HTTPS access).
OPENNEURO_S3 = "https://s3.amazonaws.com/openneuro.org"
DATASET = "ds001246"
SUBJECTS = ("01", "02", "03", "04", "05")
DERIVATIVES = {"preproc-spm": "derivatives/preproc-spm/output"}
_S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_MANIFEST = ".neurodecode_fetch.json"

DESCRIPTION = """Generic Object Decoding (GOD; Horikawa & Kamitani 2017), OpenNeuro ds001246.

Five subjects saw 1200 training images (150 ImageNet categories x 8, once each, in 24
runs) and 50 test images (50 other categories, 35 times each, in 35 runs), and imagined
them (20 runs); 3 T fMRI, TR 3 s, 3 mm voxels. The dataset holds the raw BOLD, the events
(onset, duration, stimulus_name, category_index per block), the authors' SPM-preprocessed
BOLD (derivatives/preproc-spm) and each subject's visual-cortex ROI masks (sourcedata:
V1-V3 dorsal/ventral, hV4, LOC, FFA, PPA, HVC).

The stimulus images are ImageNet photographs and are not on OpenNeuro: request them from
the authors (see https://github.com/KamitaniLab/GenericObjectDecoding) and pass their
folder to load_god as stimulus_dir (files named by stimulus_name, e.g.
n01518878_10042.JPEG).

Licence: CC0 (OpenNeuro). Cite: Horikawa & Kamitani (2017), Nature Communications 8:15037;
and the paper reproduced here, Gaziv et al. (2022), NeuroImage 254:119121."""


def get_data_dir(data_dir=None):
    """The folder datasets are downloaded into, as nilearn chooses it.

    Parameters
    ----------
    data_dir : path-like or None, default=None
        A folder; None: the environment variable ``NEURODECODE_DATA``, else
        ``~/neurodecode_data``.

    Returns
    -------
    path : Path
        The folder (not created).

    Examples
    --------
    >>> from neurodecode.datasets import get_data_dir
    >>> get_data_dir("/tmp/data").as_posix()
    '/tmp/data'
    """
    if data_dir is None:
        data_dir = os.environ.get("NEURODECODE_DATA") or "~/neurodecode_data"
    return Path(data_dir).expanduser()


def _open(url, timeout, headers=None):
    try:
        return urlopen(Request(url, headers=headers or {}), timeout=timeout)
    except HTTPError as exc:
        raise OSError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except URLError as exc:
        raise OSError(f"{url}: {exc.reason} (no internet access? fetch_god needs HTTPS to "
                      "s3.amazonaws.com)") from exc
    except (TimeoutError, http.client.HTTPException) as exc:
        raise OSError(f"{url}: {type(exc).__name__}: {exc} (the server did not answer "
                      "in time, or not in HTTP); run fetch_god again.") from exc


def _list(base_url, prefix, timeout, delimiter=None):
    """``[(key, size, etag)]`` of the objects under ``prefix`` (every page)."""
    out, token = [], None
    while True:
        query = {"list-type": "2", "prefix": prefix}
        if delimiter:
            query["delimiter"] = delimiter
        if token:
            query["continuation-token"] = token
        url = f"{base_url}/?{urlencode(query)}"
        try:
            with _open(url, timeout) as r:
                text = r.read()
        except (TimeoutError, http.client.HTTPException) as exc:
            raise OSError(f"{url}: the listing was cut ({type(exc).__name__}: {exc}); run "
                          "fetch_god again.") from exc
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise OSError(f"{url}: not an S3 listing ({exc}).") from exc
        for c in root.iter(f"{_S3}Contents"):
            key, size = c.findtext(f"{_S3}Key"), c.findtext(f"{_S3}Size")
            if key is None or size is None or not size.strip().isdigit():
                raise OSError(f"{url}: a listing entry without a key or a size.")
            out.append((key, int(size), (c.findtext(f"{_S3}ETag") or "").strip('"')))
        if root.findtext(f"{_S3}IsTruncated") == "true":
            new = root.findtext(f"{_S3}NextContinuationToken")
            if not new or new == token:
                raise OSError(f"{url}: a truncated listing without a new continuation token.")
            token = new
        else:
            return out


def _md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _simple_etag(etag):
    """S3's ETag is the MD5 of the content for single-part uploads (32 hex digits); a
    multipart upload's (``<hex>-<parts>``) is not, and only the size is checked."""
    return etag if re.fullmatch(r"[0-9a-f]{32}", etag or "") else None


def _download(url, dest, size, etag, timeout, retries, bar):
    """Stream ``url`` to ``dest`` through ``dest.part``, resuming a partial file (HTTP
    Range); checked against ``size`` and ``etag`` before the rename."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    last = None
    for attempt in range(max(1, retries)):
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            bar.update(-size)  # credited when the call began
            have = 0
        try:
            headers = {"Range": f"bytes={have}-"} if 0 < have < size else None
            if size == 0:
                part.write_bytes(b"")
            elif have < size:
                with _open(url, timeout, headers) as r:
                    resumed = have > 0 and r.status == 206
                    if have and not resumed:  # the server sent the whole file
                        bar.update(-have)
                        have = 0
                    with open(part, "ab" if resumed else "wb") as f:
                        left = size - have
                        for block in iter(lambda: r.read(min(1 << 16, left + 1)), b""):
                            f.write(block[:left + 1])
                            bar.update(min(len(block), left))
                            left -= len(block)
                            if left < 0:  # more than listed: stop, do not fill the disk
                                break
        except (OSError, ConnectionError, TimeoutError, http.client.HTTPException) as exc:
            last = exc  # incl. IncompleteRead of a chunked response
            time.sleep(min(2.0 ** attempt * 0.1, 5.0))
            continue
        got = part.stat().st_size
        if got != size:
            last = OSError(f"{got} bytes received, {size} listed")
            if got > size:  # start over next time
                part.unlink()
                bar.update(-size)
            continue
        md5 = _simple_etag(etag)
        if md5 is not None and _md5(part) != md5:
            part.unlink()
            bar.update(-size)
            last = OSError("the MD5 differs from OpenNeuro's ETag (damaged in transit)")
            continue
        os.replace(part, dest)
        return
    raise OSError(f"{url}: download failed after {retries} tries ({last}); run fetch_god "
                  f"again to resume from {part.name}.")


def _wanted(relative, subjects, derivatives, include_raw):
    """Whether a file of the dataset (path relative to its root) is fetched."""
    parts = relative.split("/")
    if len(parts) == 1:
        return not relative.startswith(".")  # dataset_description.json, sidecars, README
    subject = next((p[4:] for p in parts if p.startswith("sub-")), None)
    if parts[0] == "sourcedata":
        return subject is None or subject in subjects  # README, the ROI masks
    if parts[0] == "derivatives":
        return subject in subjects and any(relative.startswith(DERIVATIVES[d] + "/")
                                           for d in derivatives)
    if subject in subjects:  # raw: events and sidecars always; images with include_raw
        return include_raw or relative.endswith(("_events.tsv", ".json"))
    return False


@fill_doc
def fetch_god(data_dir=None, subjects=("01",), derivatives=("preproc-spm",),
              include_raw=False, *, url=OPENNEURO_S3, timeout=60, retries=5, verbose=1):
    """Download GOD (OpenNeuro ds001246) for :func:`load_god`, resumably and checked.

    Lists the dataset in OpenNeuro's public S3 bucket and downloads, over HTTPS, the files
    the subjects need: the top-level files and sidecars, each subject's events files, ROI
    masks and (by default) the authors' SPM-preprocessed BOLD; the raw BOLD and anatomy
    with ``include_raw``. A file already there is kept when its size and MD5 match the
    listing (the MD5 is remembered in ``<root>/.neurodecode_fetch.json``, so an unchanged
    file is not hashed again); otherwise it is fetched again, with a warning. Downloads go
    to ``<file>.part`` and resume from there after an interruption.

    Parameters
    ----------
    data_dir : path-like or None, default=None
        Where ``ds001246/`` goes (see :func:`get_data_dir`: ``NEURODECODE_DATA``, else
        ``~/neurodecode_data``).
    subjects : sequence of str, default=("01",)
        Subject labels, from ``"01"`` to ``"05"``.
    derivatives : sequence of str, default=("preproc-spm",)
        Derivatives to fetch: ``"preproc-spm"`` (what ``load_god`` reads by default), or
        none.
    include_raw : bool, default=False
        Also the raw BOLD and anatomical images (``load_god(..., source="raw")``; about
        3 GB per subject).
    url : str, default=OPENNEURO_S3
        The bucket's base URL (a mirror, or a local server in tests).
    timeout : float, default=60
        Seconds to wait for the server.
    retries : int, default=5
        Attempts per file before giving up (each resumes where the last stopped).
    %(verbose)s

    Returns
    -------
    data : Bunch
        ``root`` (the ``ds001246`` folder: pass it to :func:`load_god`), ``subjects``,
        ``files`` (every file, fetched or already there), ``n_downloaded``, ``n_bytes``
        (the size of the files fetched this call, resumed parts included) and ``description`` (the dataset, its licence, and how to get
        the stimulus images, which are not public).

    Raises
    ------
    OSError
        When the server cannot be reached or a file cannot be completed (run again to
        resume).

    Examples
    --------
    >>> from neurodecode.datasets import fetch_god, load_god
    >>> god_files = fetch_god(subjects=["01"])  # doctest: +SKIP
    >>> god = load_god(god_files.root, "01")  # doctest: +SKIP
    """

    from .._validation import check_number

    subjects = [subjects] if isinstance(subjects, str) else list(subjects)
    labels = [str(s).removeprefix("sub-") for s in subjects]
    labels = [f"{int(s):02d}" if s.isdigit() else s for s in labels]
    unknown = [s for s in labels if s not in SUBJECTS]
    if unknown or not labels:
        raise ValueError(f"subjects: {unknown or subjects!r} not in ds001246 (subjects "
                         f"{list(SUBJECTS)}).")
    derivatives = [derivatives] if isinstance(derivatives, str) else list(derivatives)
    bad = [d for d in derivatives if d not in DERIVATIVES]
    if bad:
        raise ValueError(f"derivatives: unknown {bad}; known: {list(DERIVATIVES)}.")
    if not derivatives and not include_raw:
        raise ValueError("nothing to load: pass derivatives=('preproc-spm',) or "
                         "include_raw=True.")
    check_number(timeout, "timeout", low=0, low_inclusive=False)
    check_number(retries, "retries", numbers.Integral, low=1)
    url = url.rstrip("/")
    root = get_data_dir(data_dir) / DATASET

    listing = _list(url, f"{DATASET}/", timeout, delimiter="/")  # the top-level files
    for prefix in (["sourcedata/"] + [f"sub-{s}/" for s in labels]
                   + [f"{DERIVATIVES[d]}/sub-{s}/" for d in derivatives for s in labels]):
        listing += _list(url, f"{DATASET}/{prefix}", timeout)
    files = []
    for key, size, etag in dict.fromkeys(listing):
        if not key.startswith(f"{DATASET}/") or key.endswith("/"):
            continue  # not a file of the dataset (a folder marker, another prefix)
        relative = key[len(DATASET) + 1:]
        parts = relative.split("/")
        if any(p in ("", ".", "..") for p in parts) or "\\" in relative or ":" in parts[0]:
            raise OSError(f"{url}: the listing names {key!r}, a path that would leave "
                          f"{root}; refusing to write it (is this OpenNeuro's bucket?).")
        if _wanted(relative, labels, derivatives, include_raw):
            files.append((relative, size, etag))
    if not any(r.endswith("_events.tsv") for r, _, _ in files):
        raise OSError(f"{url}: the listing of {DATASET} holds no events files for "
                      f"{labels}; is this OpenNeuro's bucket?")

    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".neurodecode_fetch.lock"):
        return _fetch_files(root, url, files, labels, timeout, retries, verbose)


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on ``path`` for the block (another fetch_god into the same folder
    waits; the lock goes with the process, so a killed run leaves none)."""
    with open(path, "a") as f:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; concurrent runs may clash
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _fetch_files(root, url, files, labels, timeout, retries, verbose):
    """Check what is there, download the rest (under the lock)."""
    from tqdm.auto import tqdm

    manifest_path = root / _MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):  # damaged: every file is checked again
        manifest = {}
    todo = []
    for relative, size, etag in files:
        dest = root / relative
        if dest.is_dir():
            raise OSError(f"{dest} is a folder where the dataset has a file; remove it and "
                          "run fetch_god again.")
        if dest.is_file():
            st = dest.stat()
            seen = manifest.get(relative)
            known = seen == {"size": size, "etag": etag, "mtime_ns": st.st_mtime_ns}
            if st.st_size == size and (known or _simple_etag(etag) in (None, _md5(dest))):
                manifest[relative] = {"size": size, "etag": etag, "mtime_ns": st.st_mtime_ns}
                continue
            warnings.warn(f"{dest}: differs from OpenNeuro's copy ("
                          f"{'size ' + str(st.st_size) + ' != ' + str(size) if st.st_size != size else 'MD5'}"
                          "); downloading it again.", stacklevel=4)
        todo.append((relative, size, etag))
    n_bytes = sum(size for _, size, _ in todo)
    with tqdm(total=n_bytes, unit="B", unit_scale=True, desc=f"{DATASET} ({len(todo)} files)",
              disable=not verbose) as bar:
        try:
            for relative, size, etag in todo:
                dest = root / relative
                already = (dest.with_name(dest.name + ".part").stat().st_size
                           if dest.with_name(dest.name + ".part").exists() else 0)
                bar.update(min(already, size))
                _download(f"{url}/{quote(DATASET + '/' + relative)}", dest, size, etag,
                          timeout, retries, bar)
                manifest[relative] = {"size": size, "etag": etag,
                                      "mtime_ns": dest.stat().st_mtime_ns}
        finally:
            if manifest:
                root.mkdir(parents=True, exist_ok=True)
                tmp = manifest_path.with_name(_MANIFEST + ".tmp")
                tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True))
                os.replace(tmp, manifest_path)
    if verbose:
        print(f"{DATASET}: {len(files)} files in {root} ({len(todo)} downloaded). The "
              "stimulus images are not public: see the description.")
    return Bunch(root=root, subjects=labels, files=[root / r for r, _, _ in files],
                 n_downloaded=len(todo), n_bytes=n_bytes, description=DESCRIPTION)
