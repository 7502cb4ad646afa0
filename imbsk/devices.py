"""The ``device`` parameter, torch's random generator and thread count for one fit."""

import contextlib
import threading
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["auto_threads", "resolve_device", "resolved_device", "seeded", "torch_threads"]

#: Threads inside a seeded fit right now (``seeded`` warns when they overlap).
_SEEDED_THREADS = set()
_SEEDED_LOCK = threading.Lock()


def resolve_device(device):
    """Resolve ``"auto"`` and check that a requested CUDA device exists.

    Parameters
    ----------
    device : {"cpu", "cuda", "cuda:N", "auto"}, torch.device or None
        None is skorch's "leave tensors where they are".

    Returns
    -------
    device : str or None

    Raises
    ------
    ValueError
        For CUDA without a usable GPU (never a silent fall-back to the CPU), an index
        past the last GPU, or a string torch does not know.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device is None:
        return None
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r} is not a device torch understands; use 'cpu', 'cuda', "
            "'cuda:N' or 'auto'."
        ) from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available to this PyTorch "
                f"({torch.__version__}, torch.cuda.is_available() is False). Use device='cpu' "
                "or device='auto', or install a CUDA build of PyTorch on a machine with an "
                "NVIDIA GPU."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} CUDA "
                "device(s) are visible; use an index below that, or device='cuda'."
            )
    return str(device) if not isinstance(device, str) else device


@contextlib.contextmanager
def seeded(random_state, offset=0):
    """Seed torch's global generator inside the block; restore its state afterwards.

    PyTorch draws weight initialisation, dropout masks and sampler orders from one
    global generator per process, so fits that overlap in *threads* (a threading joblib
    backend) draw from each other's stream: their results are not reproducible. A
    ``UserWarning`` says so when that happens; processes (joblib's default loky backend,
    Dask workers) are unaffected.

    Parameters
    ----------
    random_state : int, RandomState or None
        None leaves the generator alone.
    offset : int, default=0
        Added to the seed (``partial_fit`` calls continue from a different seed).

    Examples
    --------
    >>> with seeded(0):
    ...     a = torch.rand(1)
    >>> with seeded(0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    if random_state is None:
        yield
        return
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max)) + offset
    me = threading.get_ident()
    with _SEEDED_LOCK:
        overlapping = bool(_SEEDED_THREADS - {me})
        _SEEDED_THREADS.add(me)
    if overlapping:
        warnings.warn(
            "Fits with a random_state overlap in threads: PyTorch draws weight "
            "initialisation, dropout and sampling from one global generator per process, "
            "so these fits are not reproducible. Run them in processes (joblib's default "
            "'loky' backend, n_jobs) for reproducible results.", UserWarning, stacklevel=3)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        with _SEEDED_LOCK:
            _SEEDED_THREADS.discard(me)


@contextlib.contextmanager
def resolved_device(net):
    """``net.device`` resolved ("auto" -> "cuda" or "cpu") inside the block, then restored.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(device="auto")
    >>> with resolved_device(net):
    ...     net.device in ("cpu", "cuda")
    True
    >>> net.device
    'auto'
    """
    requested = net.device
    net.device = resolve_device(requested)
    try:
        yield
    finally:
        net.device = requested


#: ``torch_threads="auto"``: networks whose step costs fewer multiply-adds than this
#: (batch rows x parameters, all members) train and predict on one thread: a second
#: thread saves them little on an idle machine and costs several times that when another
#: process keeps a core busy (measured: benchmarks/RESULTS.md, sections 10d and 11).
SMALL_STEP = 64_000_000


def auto_threads(n_parameters, batch_size):
    """Threads for ``torch_threads="auto"``: 1 for a small network, else None (torch's).

    Examples
    --------
    >>> auto_threads(32_000, 128), auto_threads(500_000, 256)
    (1, None)
    """
    return 1 if n_parameters * max(batch_size, 1) < SMALL_STEP else None


@contextlib.contextmanager
def torch_threads(threads):
    """torch's intra-op threads set to ``threads`` inside the block (None: unchanged).

    Never more than torch has already (inside a joblib or Dask worker, torch starts with
    that worker's share of the cores): the block only lowers the count. Restored after.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    current = torch.get_num_threads()
    if threads is None or threads >= current:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(current)
