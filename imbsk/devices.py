"""One function that turns the ``device`` parameter into a torch device string."""

import torch

__all__ = ["resolve_device"]


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
