"""The scikit-learn estimators (and nothing else)."""
from ._decoder import SelfSupervisedDecoder
from ._encoder import ImageEncoder

__all__ = ["ImageEncoder", "SelfSupervisedDecoder"]
