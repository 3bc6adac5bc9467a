"""Whether a decoder trained with L_DE memorises its unpaired fMRI."""


def memorisation(decoder):
    """The memorisation diagnostic of a decoder trained with L_DE on unpaired fMRI.

    With ``unpaired_fmri_images`` given to ``fit`` (the images behind the unpaired fMRI,
    used in no loss), the decoder's ``history_`` holds ``L_DE_decoded`` (L_DE of its
    reconstructions of the unpaired fMRI) and ``L_DE_true_images`` (L_DE of the images
    actually seen). The first below the second at the last epoch means the decoder fits
    the unpaired vectors with images that fool the encoder better than the truth does:
    its L_DE gain is then no evidence of better reconstructions.

    Parameters
    ----------
    decoder : SelfSupervisedDecoder or dict
        A fitted decoder, or its ``history_``.

    Returns
    -------
    diagnostic : dict or None
        ``L_DE_decoded`` and ``L_DE_true_images`` (last epoch), ``L_DE_decoded_first``
        (first epoch) and ``memorises``; None without the diagnostic (no L_DE, or no true
        images given).

    Examples
    --------
    >>> from neurodecode.analysis import memorisation
    >>> memorisation({"L_DE_decoded": [0.9, 0.4], "L_DE_true_images": [0.6, 0.6]})
    {'L_DE_decoded': 0.4, 'L_DE_true_images': 0.6, 'memorises': True, 'L_DE_decoded_first': 0.9}
    """
    history = decoder if isinstance(decoder, dict) else getattr(decoder, "history_", None)
    if history is None:
        raise TypeError("decoder must be a fitted SelfSupervisedDecoder or its history_ "
                        f"dict; got {type(decoder).__name__}.")
    if "L_DE_true_images" not in history:
        return None
    decoded, truth = float(history["L_DE_decoded"][-1]), float(history["L_DE_true_images"][-1])
    return {"L_DE_decoded": decoded, "L_DE_true_images": truth, "memorises": decoded < truth,
            "L_DE_decoded_first": float(history["L_DE_decoded"][0])}
